/**
 * Durable history benchmark: the file transport (LMDB) against the memory
 * and Redis transports, and against the same transport on SQLite (the engine
 * it was chosen over), in one run:
 *
 * 1. publish: `hub.publish()` in process (validate, encode, store, fan out
 *    to one in-process subscriber) as fast as it goes for `--seconds`, with
 *    1 publish in flight (latency) and 64 in flight (throughput, where group
 *    commit shows); publishes/s, publish p50/p99 (call to resolved: for a
 *    durable transport, synced to disk), and the event loop's delay p99/max
 *    meanwhile (what every other socket of the hub waits), and for SQLite
 *    the time each commit holds the loop (better-sqlite3 commits, fsync
 *    included, on the loop's thread; LMDB writes and syncs on its own);
 * 2. replay: 10,000 updates (200 B of data) in history, one in-process
 *    subscriber with `Last-Event-ID: earliest`, until it has all 10,000;
 * 3. start-up: a store holding 100,000 updates is opened (transport created,
 *    newest id read, a resume looked up by id), three times, median.
 *
 *   npm run bench:file                        # ~3 minutes
 *   npm run bench:file -- --quick             # ~1 minute
 *   options: --seconds 5 --setups memory,lmdb-batch,lmdb-always,sqlite-batch,sqlite-always,redis
 *     --redis-url redis://127.0.0.1:6379 --dir /tmp   (stores go to a fresh folder under it)
 *
 * SQLite needs better-sqlite3, which is not a dependency (see
 * bench/file/sqlite-store.ts): `npm i --no-save better-sqlite3@12` first,
 * or point BETTER_SQLITE3_PATH at an installed copy; without it the SQLite
 * rows say so. Redis rows need a Redis at --redis-url (skipped otherwise).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createHub, type Hub, type Transport } from '../../src/hub/index.js';
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import { createFileTransport } from '../../src/transports/file.js';
import { createRedisTransport } from '../../src/transports/redis.js';
import { connectAdmin, deletePrefix, freshPrefix } from '../redis/redis-admin.js';
import { createSqliteTransport, loadSqlite, sqliteBlocking } from './sqlite-store.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    setups: {
      type: 'string',
      default: 'memory,lmdb-batch,lmdb-always,sqlite-batch,sqlite-always,redis',
    },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const seconds = Number(args.seconds ?? (args.quick ? 2 : 5));
const setups = args.setups.split(',').filter(Boolean);
const redisUrl = args['redis-url'];
const root = mkdtempSync(join(args.dir, 'ssehub-bench-file-'));
const TOPIC = 'https://example.com/bench';
const DATA = 'x'.repeat(200);
const sqlite = loadSqlite();
const lmdbVersion = (
  JSON.parse(
    readFileSync(new URL('../../node_modules/lmdb/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;
const admin = await connectAdmin(redisUrl).catch((error: unknown) => String(error));
const prefixes: string[] = [];
let stores = 0;

type Setup = (options: { historySize: number; path?: string }) => Promise<Transport>;

function setup(name: string): Setup | string {
  const file = (fsync: 'always' | 'batch'): Setup => {
    return ({ historySize, path }) =>
      createFileTransport({
        path: path ?? join(root, `lmdb-${++stores}`),
        historySize,
        historyBytes: 1024 ** 3,
        fsync,
      });
  };
  const onSqlite = (fsync: 'always' | 'batch'): Setup | string => {
    if (typeof sqlite === 'string') return sqlite;
    return ({ historySize, path }) =>
      createSqliteTransport(sqlite.Database, {
        path: path ?? join(root, `sqlite-${++stores}`),
        historySize,
        historyBytes: 1024 ** 3,
        fsync,
      });
  };
  switch (name) {
    case 'memory':
      return ({ historySize }) =>
        Promise.resolve(createMemoryTransport({ historySize, historyBytes: 1024 ** 3 }));
    case 'lmdb-batch':
      return file('batch');
    case 'lmdb-always':
      return file('always');
    case 'sqlite-batch':
      return onSqlite('batch');
    case 'sqlite-always':
      return onSqlite('always');
    case 'redis':
      if (typeof admin === 'string') return `Redis unreachable at ${redisUrl}: ${admin}`;
      return ({ historySize, path }) => {
        const keyPrefix = path ?? freshPrefix();
        if (path === undefined) prefixes.push(keyPrefix);
        return createRedisTransport({
          url: redisUrl,
          keyPrefix,
          historySize,
          historyBytes: 1024 ** 3,
        });
      };
    default:
      return `unknown setup ${name}`;
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(2));
const count = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Publishes with `inFlight` publishers for `seconds`; latencies in ms. */
async function publishFor(hub: Hub, inFlight: number, forSeconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + forSeconds * 1000;
  const worker = async (): Promise<void> => {
    for (let i = 1; performance.now() < deadline; i++) {
      const started = performance.now();
      await hub.publish({ topics: TOPIC, data: DATA });
      latencies.push(performance.now() - started);
      // A publish that resolves at once (memory) would otherwise never let
      // the event loop turn: timers, the subscriber, the delay monitor.
      if (i % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  sqliteBlocking.ms = 0;
  sqliteBlocking.commits = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  loop.disable();
  const sorted = Float64Array.from(latencies).sort();
  return {
    rate: latencies.length / elapsed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    blockedPerCommit:
      sqliteBlocking.commits === 0 ? NaN : sqliteBlocking.ms / sqliteBlocking.commits,
  };
}

async function publishPart(): Promise<void> {
  console.log(
    `\n## Publish: hub.publish() in process, ${seconds} s per step (after 0.5 s warm-up)\n`,
  );
  console.log(
    '| setup | in flight | publishes/s | p50 ms | p99 ms | event loop delay p99 / max ms | loop blocked per commit ms |',
  );
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  for (const name of setups) {
    const make = setup(name);
    if (typeof make === 'string') {
      console.log(`| ${name} | | ${make} | | | | |`);
      continue;
    }
    for (const inFlight of [1, 64]) {
      const hub = createHub({ transport: await make({ historySize: 1000 }) });
      const subscription = hub.subscribe({ topics: [TOPIC] });
      const draining = (async () => {
        for await (const _update of subscription) {
          // Delivery is part of the work; nothing to do with it here.
        }
      })();
      await publishFor(hub, inFlight, 0.5);
      const r = await publishFor(hub, inFlight, seconds);
      subscription.close();
      await draining;
      await hub.close();
      console.log(
        `| ${name} | ${inFlight} | ${count(r.rate)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.loopP99)} / ${ms(r.loopMax)} | ${ms(r.blockedPerCommit)} |`,
      );
    }
  }
}

/** Publishes `n` updates with 256 in flight. */
async function fill(hub: Hub, n: number): Promise<string> {
  let next = 0;
  let last = '';
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      last = await hub.publish({ topics: TOPIC, data: DATA });
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  return last;
}

async function replayPart(): Promise<void> {
  const n = 10_000;
  console.log(`\n## Replay: ${count(n)} updates to one subscriber (Last-Event-ID: earliest)\n`);
  console.log('| setup | replay ms | updates/s |');
  console.log('|---|--:|--:|');
  for (const name of setups.filter((s) => !s.endsWith('-always'))) {
    const make = setup(name);
    if (typeof make === 'string') {
      console.log(`| ${name} | ${make} | |`);
      continue;
    }
    const hub = createHub({ transport: await make({ historySize: n }) });
    await fill(hub, n);
    const started = performance.now();
    const subscription = hub.subscribe({ topics: [TOPIC], lastEventId: 'earliest' });
    let received = 0;
    for await (const _update of subscription) {
      if (++received === n) break;
    }
    const elapsed = performance.now() - started;
    await hub.close();
    console.log(
      `| ${name.replace(/-batch$/, '')} | ${ms(elapsed)} | ${count((n / elapsed) * 1000)} |`,
    );
  }
}

async function startupPart(): Promise<void> {
  const n = 100_000;
  console.log(`\n## Start-up: a store holding ${count(n)} updates (median of 3 opens)\n`);
  console.log('| setup | open + newest id + one resume lookup, ms | store on disk |');
  console.log('|---|--:|--:|');
  for (const name of setups.filter((s) => s.endsWith('-batch') || s === 'redis')) {
    const make = setup(name);
    if (typeof make === 'string') {
      console.log(`| ${name} | ${make} | |`);
      continue;
    }
    const path = name === 'redis' ? freshPrefix() : join(root, `startup-${name}`);
    if (name === 'redis') prefixes.push(path);
    const hub = createHub({ transport: await make({ historySize: n, path }) });
    await fill(hub, n);
    const middle = (
      await hub.transport.history({
        after: 'earliest',
        limit: n / 2,
        maxBytes: Number.MAX_SAFE_INTEGER,
      })
    ).updates.at(-1)?.id;
    const disk = hub.transport.historyStats?.().diskBytes;
    await hub.close();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const transport = await make({ historySize: n, path });
      const newest = await transport.lastEventId();
      const page = await transport.history({
        after: { id: middle ?? '' },
        limit: 100,
        maxBytes: 1024 * 1024,
      });
      times.push(performance.now() - started);
      if (newest === undefined || !page.found)
        throw new Error(`${name}: the store came back empty`);
      await transport.close();
    }
    times.sort((a, b) => a - b);
    const size = disk === undefined ? '(in Redis)' : `${(disk / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`| ${name.replace(/-batch$/, '')} | ${ms(times[1] as number)} | ${size} |`);
  }
}

console.log(`# Durable history benchmark`);
console.log(
  `\n${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at start; stores under ${root}`,
);
console.log(
  `engines: lmdb ${lmdbVersion}, better-sqlite3 ${typeof sqlite === 'string' ? 'absent' : sqlite.version}; Redis ${typeof admin === 'string' ? 'absent' : redisUrl}`,
);
try {
  await publishPart();
  await replayPart();
  await startupPart();
} finally {
  if (typeof admin !== 'string') {
    for (const prefix of prefixes) await deletePrefix(admin, prefix);
    await admin.close();
  }
  rmSync(root, { recursive: true, force: true });
}
console.log(
  `\nload average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end`,
);
