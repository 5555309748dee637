/**
 * Scale run: 40,000 concurrent SSE subscribers on one machine, served by
 * `ssehub serve --workers 3 --transport redis://…` (node:cluster, the
 * workers share one port and one Redis stream), opened by several generator
 * processes from several source addresses; memory per connection, then a
 * ladder of steady update rates, each update to every subscriber, with zero
 * loss required.
 *
 *   node --import tsx bench/redis/scale.ts                      # 40,000 subscribers, ~4 minutes
 *   node --import tsx bench/redis/scale.ts --subscribers 4000 --rates 1,5   # a quick check
 *
 * - `ssehub serve` runs from the sources as the CLI does (tsx), with
 *   `--expose-gc` and `probe.ts` preloaded (workers inherit both), so each
 *   process reports its memory after a full GC on SIGUSR2. Memory per
 *   connection = (sum of the workers' RSS with every subscriber connected −
 *   before any) / subscribers; the same for V8 heap used + external.
 * - Every worker must stay under the per-process open-file limit: the run
 *   refuses to start when subscribers / workers (+ margin) would not fit,
 *   and reports each worker's descriptors once connected.
 * - Updates go through the Mercure publish API (HTTP POST with a JWT, open
 *   loop over `--http-connections` keep-alive connections, which the
 *   primary hands to the workers in turn): the worker that takes a POST
 *   stores the update in Redis; every worker (that one included) reads it
 *   back from the stream and writes it to its subscribers.
 * - Per step (`--warmup-seconds` + `--step-seconds` of publishing, then a
 *   drain): frames counted on every connection (expected = updates ×
 *   subscribers), sequence gaps and duplicates on 1 % of them (400 at
 *   40,000; POSTs in flight together may be stored out of order, which the
 *   check allows within a window), connections the server closed, latency
 *   from the start of the POST to the read (CLOCK_MONOTONIC on both sides)
 *   on the sampled ones.
 *   A step passes with zero loss and p99 < 1 s; the ladder stops after
 *   `--fail-stop` failing steps or when the time budget runs out.
 * - No pinning: the workers, Redis, the generators and the publisher share
 *   the machine's cores (the point is what one machine holds).
 * - Bounded: every wait has a timeout; the serve process group, generators
 *   and publisher are killed on exit (also on Ctrl-C); the run's Redis keys
 *   (a fresh prefix) are deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '../../src/hub-server/index.js';
import { startChild } from '../fanout/children.js';
import {
  closeGenerators,
  connectSubscribers,
  fmt,
  localAddressesFor,
  startGenerators,
} from '../fanout/generators.js';
import type { Generator } from '../fanout/generators.js';
import { TOPIC } from '../fanout/server-harness.js';
import type { PublisherCommand, PublisherReply } from './ipc.js';
import { lossCell, publishStep, stepWithRetry, takePoint, waitForQuiet } from './measure.js';
import type { StepResult } from './measure.js';
import { procFds, procRss, tcpSockstat } from './proc.js';
import { connectAdmin, deletePrefix, freshPrefix } from './redis-admin.js';
import { probeMemory, type ProbedMemory } from './probe-read.js';
import { launchServe, stopServe, type Serve } from '../workers/serve.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '40000' },
    workers: { type: 'string', default: '3' },
    generators: { type: 'string', default: '4' },
    addresses: { type: 'string', default: '8' },
    rates: { type: 'string', default: '1,2,3,4,5,10' },
    'step-seconds': { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '2' },
    'max-subscribers': { type: 'string', default: '19000' },
    'fail-stop': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '9' },
    'payload-bytes': { type: 'string', default: '100' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    nice: { type: 'string', default: '0' },
    'wait-quiet': { type: 'string', default: '300' },
    'http-connections': { type: 'string', default: '4' },
    json: { type: 'string', default: '' },
  },
});

const N = Number(args.subscribers);
const workerCount = Number(args.workers);
const generatorCount = Number(args.generators);
const localAddresses = localAddressesFor(Number(args.addresses));
const rates = args.rates.split(',').map(Number);
const stepSeconds = Number(args['step-seconds']);
const warmupSeconds = Number(args['warmup-seconds']);
const maxSubscribers = Number(args['max-subscribers']);
const failStop = Number(args['fail-stop']);
const deadline = Date.now() + Number(args['max-minutes']) * 60_000;
const payloadSize = Number(args['payload-bytes']);
const redisUrl = args['redis-url'];
const niceness = Number(args.nice);
const allCores = `0-${cpus().length - 1}`;
const tsx = import.meta.resolve('tsx');
const probe = pathToFileURL(fileURLToPath(new URL('./probe.ts', import.meta.url))).href;
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

// Every process must stay under the open-file limit (one descriptor per
// connection, plus a few dozen of its own).
const fdLimit = Number(
  /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024,
);
const perWorker = Math.ceil(N / workerCount);
const perGenerator = Math.ceil(N / generatorCount);
if (perWorker > maxSubscribers || perWorker + 500 > fdLimit || perGenerator + 500 > fdLimit) {
  console.error(
    `${fmt(N)} subscribers: ${fmt(perWorker)} per worker (--max-subscribers ${fmt(maxSubscribers)}) and ${fmt(perGenerator)} per generator must stay below the open-file limit ${fmt(fdLimit)} minus 500: add --workers or --generators`,
  );
  process.exit(2);
}

type Publisher = ReturnType<typeof startChild<PublisherReply, PublisherCommand>>;

const jwtKey = randomBytes(32).toString('hex');
const token = await signToken({ key: jwtKey, publish: ['*'] });
const admin = await connectAdmin(redisUrl);
const prefix = freshPrefix();
const probeDir = mkdtempSync(join(tmpdir(), 'ssehub-scale-'));

async function startServe(): Promise<Serve> {
  const nice = niceness === 0 ? [] : ['nice', '-n', String(niceness)];
  const argv = [
    ...nice,
    process.execPath,
    '--expose-gc',
    '--import',
    tsx,
    '--import',
    probe,
    main,
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--workers',
    String(workerCount),
    '--transport',
    redisUrl,
    '--redis-key-prefix',
    prefix,
    '--jwt-key',
    jwtKey,
    '--anonymous',
    '--max-subscribers',
    String(maxSubscribers),
    '--log-level',
    'info',
  ];
  return launchServe(argv, workerCount, probeDir);
}

type Memory = ProbedMemory;

const sumOf = (xs: Memory[], f: (m: Memory) => number): number => xs.reduce((a, m) => a + f(m), 0);

interface ScaleStep extends StepResult {
  rate: number;
  workersCpu: number[];
  primaryCpu: number;
  fail: boolean;
}

const pidOf = (c: { process: { pid?: number | undefined } }): number => c.process.pid ?? 0;

let serve: Serve | undefined;
let generators: Generator[] = [];
let publisher: Publisher | undefined;
const steps: ScaleStep[] = [];
let memory:
  | {
      before: Memory[];
      after: Memory[];
      rssPerConnection: number;
      heapPerConnection: number;
      connectMs: number;
      fds: number[];
    }
  | undefined;
let error: string | undefined;

console.log(
  `scale: ${fmt(N)} subscribers, ssehub serve --workers ${workerCount} --transport ${redisUrl} (prefix ${prefix}), ` +
    `${generatorCount} generator processes, ${localAddresses.length} source addresses, ${payloadSize}-byte payloads, ` +
    `rates ${rates.join(',')} upd/s, steps ${warmupSeconds}+${stepSeconds} s, ${cpus().length} cores shared (no pinning), ` +
    `open-file limit ${fmt(fdLimit)}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
const quiet = await waitForQuiet(Number(args['wait-quiet']));
console.log(
  `machine before the run: ${fmt(quiet.busy)} % busy (of ${cpus().length * 100} %)${quiet.quiet ? '' : ' (NOT quiet: other work may disturb the figures)'}, after waiting ${fmt(quiet.waitedSeconds)} s`,
);
try {
  serve = await startServe();
  const s = serve;
  if (s.workerPids.length !== workerCount) {
    throw new Error(`expected ${workerCount} "worker ready" lines, got ${s.workerPids.length}`);
  }
  publisher = startChild<PublisherReply, PublisherCommand>(
    'publisher',
    allCores,
    ['--import', tsx],
    fileURLToPath(new URL('./publisher.ts', import.meta.url)),
    niceness,
  );
  generators = startGenerators(generatorCount, allCores, niceness);
  await publisher.next('ready', 60_000);
  await sleep(2000); // let every process load before the baseline
  const before = await probeMemory(probeDir, s.workerPids);
  const tcpBefore = tcpSockstat();

  const connected = await connectSubscribers(generators, {
    port: s.port,
    path: `/.well-known/mercure?topic=${TOPIC}`,
    count: N,
    indexOffset: 0,
    localAddresses,
    concurrency: 100,
    timeoutMs: 240_000,
  });
  await sleep(3000);
  const after = await probeMemory(probeDir, s.workerPids);
  const tcpAfter = tcpSockstat();
  const fds = s.workerPids.map(procFds);
  memory = {
    before,
    after,
    connectMs: connected.ms,
    rssPerConnection: (sumOf(after, (m) => m.rss) - sumOf(before, (m) => m.rss)) / N,
    heapPerConnection:
      (sumOf(after, (m) => m.heapUsed + m.external) -
        sumOf(before, (m) => m.heapUsed + m.external)) /
      N,
    fds,
  };
  const mb = (n: number): string => fmt(n / 1024 / 1024, 1);
  console.log(
    `\nconnected ${fmt(connected.connected)} subscribers in ${fmt(connected.ms / 1000, 1)} s; ` +
      `open descriptors per worker: ${fds.map((n) => fmt(n)).join(' / ')} (limit ${fmt(fdLimit)})\n` +
      `workers' RSS after GC: ${s.workerPids.map((_, i) => `${mb(before[i]?.rss ?? 0)} → ${mb(after[i]?.rss ?? 0)} MB`).join(', ')}; ` +
      `primary ${mb(procRss(s.primaryPid))} MB\n` +
      `memory per connection: RSS ${fmt(memory.rssPerConnection / 1024, 2)} KB, heap + external ${fmt(memory.heapPerConnection / 1024, 2)} KB\n` +
      `kernel TCP (both ends, in no RSS): sockets in use ${fmt(tcpBefore.inUse)} → ${fmt(tcpAfter.inUse)}, buffers ${mb(tcpBefore.memBytes)} → ${mb(tcpAfter.memBytes)} MB\n`,
  );
  console.log(
    '| upd/s | achieved upd/s | subs | deliv/s | lost | p50 ms | p99 ms | p99.9 ms | max ms | workers CPU % | primary CPU % | Redis CPU % | gen CPU % | pub CPU % | all cores % | other / steal % | result |\n' +
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  let nextSeq = 1;
  const pub = publisher;
  const runStep = async (rate: number): Promise<ScaleStep> => {
    const count = Math.max(1, Math.round(rate * (warmupSeconds + stepSeconds)));
    const startSeq = nextSeq;
    nextSeq += count;
    const r = await publishStep({
      generators,
      subscribers: N,
      warmupSeconds,
      point: () =>
        takePoint(admin, () => [
          ...s.workerPids.map((pid, i): [string, number[]] => [`worker ${i + 1}`, [pid]]),
          ['primary', [s.primaryPid]],
          ['generators', generators.map(pidOf)],
          ['publisher', [pidOf(pub)]],
        ]),
      publish: async () => {
        pub.send({
          type: 'schedule',
          url: `http://127.0.0.1:${s.port}/.well-known/mercure`,
          token,
          topic: TOPIC,
          payloadSize,
          rate,
          count,
          startSeq,
          connections: Number(args['http-connections']),
        });
        const { report } = await pub.next(
          'scheduled',
          (warmupSeconds + stepSeconds) * 1000 + 120_000,
        );
        if (report.failed > 0) {
          console.error(`  ! ${report.failed} publishes failed: ${report.firstError}`);
        }
        return { published: report.ok, failed: report.failed, maxLagUs: report.maxLagUs };
      },
    });
    const g = r.usage.groups;
    return {
      ...r,
      rate,
      workersCpu: s.workerPids.map((_, i) => g[`worker ${i + 1}`] ?? 0),
      primaryCpu: g.primary ?? 0,
      fail: !r.pass || !(r.p99Ms < 1000),
    };
  };
  const row = (r: ScaleStep): string => {
    const u = r.usage;
    const g = u.groups;
    return `| ${fmt(r.rate)} | ${fmt(r.achievedRate, 1)} | ${fmt(N)} | ${fmt(r.deliveriesPerSecond)} | ${lossCell(r, fmt)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.p999Ms, 2)} | ${fmt(r.maxMs, 1)} | ${r.workersCpu.map((x) => fmt(x)).join(' + ')} | ${fmt(r.primaryCpu)} | ${fmt(u.redis)} | ${fmt(g.generators ?? 0)} | ${fmt(g.publisher ?? 0)} | ${fmt(u.machine)} | ${fmt(u.other)} / ${fmt(u.steal)} | ${r.fail ? (r.pass ? 'FAIL (p99 ≥ 1 s)' : 'FAIL') : 'pass'} |`;
  };
  let failures = 0;
  for (const rate of rates) {
    if (Date.now() + (warmupSeconds + stepSeconds + 60) * 1000 > deadline) {
      console.log(`(time budget reached, stopping before ${rate} upd/s)`);
      break;
    }
    const step = await stepWithRetry(() => runStep(rate), row);
    steps.push(step);
    console.log(row(step));
    if (step.fail && ++failures >= failStop) break;
    if (!step.fail) failures = 0;
  }
  const died = s.log.filter((l) => l.includes('worker died'));
  if (died.length > 0)
    console.log(`\n! ${died.length} worker(s) died during the run:\n${died.join('\n')}`);
} catch (e) {
  error = String(e);
  console.error(e);
} finally {
  if (generators.length > 0) await closeGenerators(generators);
  publisher?.send({ type: 'exit' });
  if (serve) await stopServe(serve);
  publisher?.kill();
  const deleted = await deletePrefix(admin, prefix).catch(() => -1);
  await admin.close();
  rmSync(probeDir, { recursive: true, force: true });
  console.log(`\n(stopped ssehub serve, deleted ${deleted} Redis keys of prefix ${prefix})`);
}
if (args.json) writeFileSync(args.json, JSON.stringify({ args, memory, steps, error }, null, 2));
process.exit(error === undefined ? 0 : 1);
