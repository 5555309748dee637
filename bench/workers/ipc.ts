/**
 * What the cluster's channel costs per update: the primary sends `--count`
 * live-update messages (the primary transport's own message, a 100-byte
 * payload) to one worker, as fast as the channel takes them, and the worker
 * answers once it has parsed them all. Reported: messages per second and
 * the CPU of each side per message, for node's two serializations of the
 * cluster channel (`json`, the default the primary transport uses, and
 * `advanced`, the structured clone).
 *
 *   node --import tsx bench/workers/ipc.ts [--count 200000]
 *
 * The point of comparison: a worker fans out each update to its subscribers
 * (thousands of socket writes), so the channel matters only when its cost
 * per update approaches the fan-out's.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { TAG } from '../../src/transports/primary/wire.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    serialization: { type: 'string', default: '' },
  },
});
const count = Number(args.count);

function message(seq: number): unknown {
  return {
    ssehub: TAG,
    kind: 'live',
    update: {
      id: `urn:uuid:0b8e2c1a-7f3d-4c55-9a41-${String(seq).padStart(12, '0')}`,
      topics: ['https://example.com/bench'],
      data: `{"seq":${seq},"t":123456789,"p":"${'x'.repeat(60)}"}`,
      private: false,
    },
    position: String(seq).padStart(16, '0'),
  };
}

if (cluster.isWorker) {
  let seen = 0;
  const started = process.cpuUsage();
  process.on('message', (m: { kind?: string }) => {
    if (m.kind !== 'live') return;
    if (++seen === count) {
      const cpu = process.cpuUsage(started);
      process.send?.({ done: true, cpuUs: cpu.user + cpu.system });
    }
  });
  process.send?.({ ready: true });
} else {
  const modes = args.serialization === '' ? ['json', 'advanced'] : [args.serialization];
  console.log(
    `cluster channel, primary → 1 worker, ${count.toLocaleString('en-US')} live-update messages, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z\n`,
  );
  console.log(
    '| serialization | messages/s | primary CPU µs/msg | worker CPU µs/msg |\n|---|---:|---:|---:|',
  );
  for (const mode of modes) {
    cluster.setupPrimary({ serialization: mode as 'json' | 'advanced' });
    const worker = cluster.fork();
    await new Promise<void>((resolve) => {
      worker.once('message', () => {
        resolve();
      });
    });
    const done = new Promise<{ cpuUs: number }>((resolve) => {
      worker.on('message', (m: { done?: boolean; cpuUs: number }) => {
        if (m.done === true) resolve(m);
      });
    });
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    // Send in slices, yielding between them so the channel drains as it would under load.
    for (let i = 1; i <= count; i++) {
      worker.send(message(i) as never);
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const { cpuUs } = await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const primary = process.cpuUsage(cpu);
    console.log(
      `| ${mode} | ${Math.round(count / seconds).toLocaleString('en-US')} | ${((primary.user + primary.system) / count).toFixed(2)} | ${(cpuUs / count).toFixed(2)} |`,
    );
    worker.kill();
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}
