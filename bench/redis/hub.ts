/**
 * The hub under test of the Redis benchmarks: the hub server as
 * `bench/fanout/servers/ssehub.ts` runs it (`createHubServer`, front door,
 * anonymous subscribers, no metrics or page), with a publisher key so the
 * Mercure publish API (`POST /.well-known/mercure`) takes JWT-signed updates,
 * on the memory transport or on the Redis transport:
 *
 *   BENCH_TRANSPORT=memory | redis
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379  BENCH_KEY_PREFIX=<prefix>  BENCH_JWT_KEY=<secret>
 *
 * Driven over IPC by `bench/redis/run.ts` through the fan-out harness
 * (`bench/fanout/server-harness.ts`: scheduled in-process publishing, stats,
 * exit), plus one command of its own, `burst` (see ipc.ts): `hub.publish()`
 * as fast as it resolves, `concurrency` per macrotask.
 */
import { createHubServer } from '../../src/hub-server/index.js';
import { createRedisTransport } from '../../src/transports/redis.js';
import { nowUs } from '../fanout/clock.js';
import { makePayload } from '../fanout/ipc.js';
import { runServer, TOPIC } from '../fanout/server-harness.js';
import type { BurstCommand, BurstReply } from './ipc.js';

const kind = process.env.BENCH_TRANSPORT ?? 'memory';
const jwtKey = process.env.BENCH_JWT_KEY;
if (jwtKey === undefined) throw new Error('set BENCH_JWT_KEY');

const transport =
  kind === 'redis'
    ? await createRedisTransport({
        url: process.env.BENCH_REDIS_URL,
        keyPrefix: process.env.BENCH_KEY_PREFIX,
        onError: (error: unknown) => {
          console.error('redis transport:', error);
        },
      })
    : undefined;

const hubServer = createHubServer({
  jwtKey,
  anonymous: true,
  metrics: false,
  webUi: false,
  transport,
});
const hub = hubServer.hub;

function burst(command: BurstCommand): void {
  const startUs = nowUs();
  const windowStartUs = startUs + command.warmupSeconds * 1e6;
  const endUs = windowStartUs + command.seconds * 1e6;
  let seq = command.startSeq;
  let total = 0;
  let count = 0;
  let failed = 0;
  let firstError: string | undefined;
  let cpuAtWindow: NodeJS.CpuUsage | undefined;
  let windowOpenedUs = 0;
  // One batch per macrotask, so the event loop serves the subscribers'
  // sockets between batches (a microtask loop would starve them).
  const batch = (): void => {
    const now = nowUs();
    if (cpuAtWindow === undefined && now >= windowStartUs) {
      cpuAtWindow = process.cpuUsage();
      windowOpenedUs = now;
    }
    if (now >= endUs) {
      const cpu = process.cpuUsage(cpuAtWindow);
      const reply: BurstReply = {
        type: 'burst-done',
        count,
        total,
        failed,
        firstError,
        windowUs: now - windowOpenedUs,
        cpuUs: cpu.user + cpu.system,
        nextSeq: seq,
      };
      process.send?.(reply);
      return;
    }
    const counting = cpuAtWindow !== undefined;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < command.concurrency; i++) {
      const s = seq++;
      pending.push(
        hub
          .publish({
            topics: TOPIC,
            data: makePayload(s, nowUs(), command.payloadSize),
            id: String(s),
          })
          .then(
            () => {
              total++;
              if (counting) count++;
            },
            (error: unknown) => {
              failed++;
              firstError ??= String(error);
            },
          ),
      );
    }
    void Promise.all(pending).then(() => setImmediate(batch));
  };
  setImmediate(batch);
}

runServer({
  name: `ssehub (${kind})`,
  listener: hubServer.listener,
  subscribe() {
    throw new Error('the hub server routes subscribers itself');
  },
  publish(topic, seq, payload) {
    hub.publish({ topics: topic, data: payload, id: String(seq) }).catch((error: unknown) => {
      console.error('ssehub publish failed', error);
    });
  },
  subscribers: () => hub.stats.subscribers,
  command(message) {
    if (message.type === 'burst') burst(message as BurstCommand);
  },
});
