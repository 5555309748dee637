/**
 * Redis transport benchmark, against the memory transport in the same run:
 *
 * 1. latency: publish-to-receive latency (p50 / p99 / p99.9 / max) at steady
 *    publish rates to a few hundred SSE subscribers, publishing in process
 *    (`hub.publish()`) and through the Mercure publish API (HTTP POST with a
 *    JWT), for three setups: `memory` (one hub), `redis` (one hub on Redis),
 *    `redis-2` (two hub processes on one Redis: published on A, received by
 *    the subscribers of B, the cross-process path);
 * 2. throughput: the publish rate one hub takes (HTTP, closed loop at
 *    several concurrencies; and `hub.publish()` in process), memory against
 *    Redis, with the CPU of the hub, the publisher and Redis (`INFO`) to show
 *    which one is the limit.
 *
 *   node --import tsx bench/redis/run.ts                        # both parts, ~10 minutes
 *   node --import tsx bench/redis/run.ts --quick                # ~3 minutes
 *   node --import tsx bench/redis/run.ts --parts latency --setups memory,redis --rates 100
 *
 * Layout: the hub process(es) (`hub.ts`: `createHubServer` as `ssehub serve`
 * runs it) pinned to `--hub-core`; the generator processes
 * (bench/fanout/generator-worker.ts), the HTTP publisher (`publisher.ts`)
 * and this driver to `--load-core`. Redis is the machine's own server, not
 * pinned. Every Redis setup uses a fresh key prefix, deleted at the end.
 *
 * Latency: each payload carries the time its publish started (the
 * `hub.publish()` call, each from its own macrotask, or the start of the
 * POST; both open loop: an update is published when it is due, whatever
 * happened to the previous ones; POSTs over `--http-connections` keep-alive
 * connections), read from CLOCK_MONOTONIC (bench/fanout/clock.ts); a sampled
 * subscriber (1 %, at least 50) takes it from its read time. A step passes
 * with zero loss: every frame counted on every connection, no sequence gap
 * or duplicate on the sampled ones, no connection dropped, no publish
 * refused.
 *
 * Other work on the machine disturbs the figures: the run first waits for a
 * quiet moment (`--wait-quiet` seconds at most), and a step during which
 * other processes took more than 25 % of a core is run again (twice at most;
 * the "other %" column shows what was left).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '../../src/hub-server/index.js';
import { startChild } from '../fanout/children.js';
import type { Child } from '../fanout/children.js';
import {
  closeGenerators,
  connectSubscribers,
  fmt,
  localAddressesFor,
  snapshots,
  startGenerators,
  sum,
} from '../fanout/generators.js';
import type { Generator } from '../fanout/generators.js';
import { createHistogram, mergeInto, quantileUs } from '../fanout/histogram.js';
import type { ServerCommand, ServerReply, ServerStats } from '../fanout/ipc.js';
import { TOPIC } from '../fanout/server-harness.js';
import type {
  BurstCommand,
  BurstReply,
  PublisherCommand,
  PublisherReply,
  PublishReport,
  PublishTarget,
} from './ipc.js';
import {
  drain,
  lossCell,
  publishStep,
  stepWithRetry,
  takePoint,
  usageBetween,
  waitForQuiet,
} from './measure.js';
import type { Point, StepResult, Usage } from './measure.js';
import { connectAdmin, deletePrefix, freshPrefix } from './redis-admin.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    parts: { type: 'string', default: 'latency,throughput' },
    setups: { type: 'string', default: 'memory,redis,redis-2' },
    modes: { type: 'string', default: 'inproc,http' },
    subscribers: { type: 'string' },
    rates: { type: 'string' },
    'step-seconds': { type: 'string' },
    'warmup-seconds': { type: 'string' },
    concurrency: { type: 'string' },
    bursts: { type: 'string' },
    'flood-seconds': { type: 'string' },
    'flood-warmup-seconds': { type: 'string', default: '1' },
    'flood-subscribers': { type: 'string', default: '1' },
    generators: { type: 'string', default: '2' },
    addresses: { type: 'string', default: '8' },
    'payload-bytes': { type: 'string', default: '100' },
    'hub-core': { type: 'string', default: '0' },
    'load-core': { type: 'string', default: '1' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    nice: { type: 'string', default: '0' },
    'wait-quiet': { type: 'string', default: '300' },
    'http-connections': { type: 'string', default: '4' },
    'cpu-prof': { type: 'string', default: '' },
    'cpu-prof-dir': { type: 'string', default: '/tmp/ssehub-redis-profiles' },
    json: { type: 'string', default: '' },
  },
});

const quick = args.quick;
const parts = new Set(args.parts.split(','));
const setupNames = args.setups.split(',').filter(Boolean);
const modes = args.modes.split(',').filter(Boolean) as Mode[];
const S = Number(args.subscribers ?? (quick ? 200 : 500));
const list = (text: string): number[] => text.split(',').filter(Boolean).map(Number);
const rates = list(args.rates ?? (quick ? '100' : '10,100,500'));
const stepSeconds = Number(args['step-seconds'] ?? (quick ? 4 : 10));
const warmupSeconds = Number(args['warmup-seconds'] ?? (quick ? 1 : 2));
const concurrencies = list(args.concurrency ?? (quick ? '1,16' : '1,4,16,64'));
const bursts = list(args.bursts ?? (quick ? '1,64' : '1,16,256,1024'));
const floodSeconds = Number(args['flood-seconds'] ?? (quick ? 3 : 5));
const floodWarmupSeconds = Number(args['flood-warmup-seconds']);
const floodSubscribers = Number(args['flood-subscribers']);
const generatorCount = Number(args.generators);
const localAddresses = localAddressesFor(Number(args.addresses));
const payloadSize = Number(args['payload-bytes']);
const hubCore = Number(args['hub-core']);
const loadCore = Number(args['load-core']);
const redisUrl = args['redis-url'];
const niceness = Number(args.nice);
const tsx = import.meta.resolve('tsx');
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

type Mode = 'inproc' | 'http';
type Hub = Child<ServerReply | BurstReply, ServerCommand | BurstCommand>;
type Publisher = Child<PublisherReply, PublisherCommand>;

const jwtKey = randomBytes(32).toString('hex');
const token = await signToken({ key: jwtKey, publish: ['*'] });
const admin = await connectAdmin(redisUrl);
const prefixes: string[] = [];

interface Setup {
  name: string;
  hubs: Hub[];
  /** CPU group names of the hubs (`hub`, or `hub A`, `hub B`). */
  hubNames: string[];
  /** The hub updates are published to (A). */
  publishTo: Hub;
  publishPort: number;
  /** The hub the subscribers are on (B; A itself but for `redis-2`). */
  subscribeTo: Hub;
  subscribePort: number;
  generators: Generator[];
  publisher: Publisher;
  /** Next sequence number: each setup's subscribers see only its own updates, numbered without holes. */
  nextSeq: number;
}

function startHub(label: string, transport: 'memory' | 'redis', prefix: string): Hub {
  // --cpu-prof <transport>: V8 CPU profiles of that transport's hubs (written at exit).
  const prof =
    args['cpu-prof'] === transport ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : [];
  return startChild(
    label,
    hubCore,
    ['--expose-gc', '--import', tsx, ...prof],
    here('./hub.ts'),
    niceness,
    {
      BENCH_TRANSPORT: transport,
      BENCH_REDIS_URL: redisUrl,
      BENCH_KEY_PREFIX: prefix,
      BENCH_JWT_KEY: jwtKey,
    },
  );
}

async function startSetup(name: string, generators: number): Promise<Setup> {
  let hubs: Hub[];
  if (name === 'memory') hubs = [startHub('hub (memory)', 'memory', '')];
  else {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    if (name === 'redis') hubs = [startHub('hub (redis)', 'redis', prefix)];
    else if (name === 'redis-2') {
      hubs = [
        startHub('hub A (redis)', 'redis', prefix),
        startHub('hub B (redis)', 'redis', prefix),
      ];
    } else throw new Error(`unknown setup ${name}`);
  }
  const ports = await Promise.all(hubs.map(async (h) => (await h.next('ready', 60_000)).port));
  const publisher: Publisher = startChild(
    'publisher',
    loadCore,
    ['--import', tsx],
    here('./publisher.ts'),
    niceness,
  );
  await publisher.next('ready', 60_000);
  const a = hubs[0] as Hub;
  const b = hubs[hubs.length - 1] as Hub;
  return {
    name,
    hubs,
    hubNames: hubs.length === 1 ? ['hub'] : hubs.map((_, i) => `hub ${'AB'[i] ?? i}`),
    publishTo: a,
    publishPort: ports[0] as number,
    subscribeTo: b,
    subscribePort: ports[ports.length - 1] as number,
    generators: startGenerators(generators, loadCore, niceness),
    publisher,
    nextSeq: 1,
  };
}

async function stopSetup(setup: Setup): Promise<void> {
  await closeGenerators(setup.generators);
  setup.publisher.send({ type: 'exit' });
  for (const h of setup.hubs) h.send({ type: 'exit' });
  // Let the hubs exit by themselves (writing their CPU profiles, when asked), within bounds.
  await Promise.race([
    Promise.all(setup.hubs.map((h) => new Promise((resolve) => h.process.once('exit', resolve)))),
    sleep(args['cpu-prof'] === '' ? 500 : 30_000),
  ]);
  setup.publisher.kill();
  for (const h of setup.hubs) h.kill();
}

async function hubStats(hub: Hub, gc = false): Promise<ServerStats> {
  hub.send({ type: 'stats', gc });
  return (await hub.next('stats')).stats;
}

async function waitForSubscribers(hub: Hub, count: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await hubStats(hub)).subscribers >= count) return;
    await sleep(100);
  }
  throw new Error(`hub never reported ${count} subscribers`);
}

const target = (setup: Setup): PublishTarget => ({
  url: `http://127.0.0.1:${setup.publishPort}/.well-known/mercure`,
  token,
  topic: TOPIC,
  payloadSize,
});

const pidOf = (c: { process: { pid?: number | undefined } }): number => c.process.pid ?? 0;

function point(setup: Setup): Promise<Point> {
  return takePoint(admin, () => [
    ...setup.hubs.map((h, i): [string, number[]] => [setup.hubNames[i] ?? 'hub', [pidOf(h)]]),
    ['generators', setup.generators.map(pidOf)],
    ['publisher', [pidOf(setup.publisher)]],
  ]);
}

const hubCpu = (setup: Setup, u: Usage): number[] => setup.hubNames.map((n) => u.groups[n] ?? 0);

// ---------------------------------------------------------------------------
// Part 1: latency

interface LatencyResult extends StepResult {
  setup: string;
  mode: Mode;
  rate: number;
  subscribers: number;
  hubCpu: number[];
}

async function latencyStep(
  setup: Setup,
  mode: Mode,
  rate: number,
  seconds = warmupSeconds + stepSeconds,
): Promise<LatencyResult> {
  const count = Math.max(1, Math.round(rate * seconds));
  const startSeq = setup.nextSeq;
  setup.nextSeq += count;
  const timeoutMs = seconds * 1000 + 120_000;
  const result = await publishStep({
    generators: setup.generators,
    subscribers: S,
    warmupSeconds: Math.min(warmupSeconds, seconds / 2),
    point: () => point(setup),
    publish: async () => {
      if (mode === 'inproc') {
        setup.publishTo.send({
          type: 'publish',
          rate,
          count,
          startSeq,
          payloadSize,
          stamp: 'call',
        });
        const r = await setup.publishTo.next('published', timeoutMs);
        return { published: r.count, failed: 0, maxLagUs: r.maxLagUs };
      }
      setup.publisher.send({
        type: 'schedule',
        ...target(setup),
        rate,
        count,
        startSeq,
        connections: Number(args['http-connections']),
      });
      const { report } = await setup.publisher.next('scheduled', timeoutMs);
      if (report.failed > 0) {
        console.error(`  ! ${report.failed} publishes failed: ${report.firstError}`);
      }
      return { published: report.ok, failed: report.failed, maxLagUs: report.maxLagUs };
    },
  });
  return {
    ...result,
    setup: setup.name,
    mode,
    rate,
    subscribers: S,
    hubCpu: hubCpu(setup, result.usage),
  };
}

const LATENCY_HEAD =
  '| setup | publish | upd/s | achieved upd/s | subs | deliv/s | lost | p50 ms | p99 ms | p99.9 ms | max ms | max lag ms | hub CPU % | Redis CPU % | gen CPU % | pub CPU % | other / steal % | result |\n' +
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';

function latencyRow(r: LatencyResult): string {
  const u = r.usage;
  return `| ${r.setup} | ${r.mode === 'http' ? 'HTTP POST' : 'hub.publish'} | ${fmt(r.rate)} | ${fmt(r.achievedRate)} | ${fmt(r.subscribers)} | ${fmt(r.deliveriesPerSecond)} | ${lossCell(r, fmt)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.p999Ms, 2)} | ${fmt(r.maxMs, 1)} | ${fmt(r.maxLagMs, 1)} | ${r.hubCpu.map((x) => fmt(x)).join(' + ')} | ${fmt(u.redis)} | ${fmt(u.groups.generators ?? 0)} | ${fmt(u.groups.publisher ?? 0)} | ${fmt(u.other)} / ${fmt(u.steal)} | ${r.pass ? 'pass' : 'FAIL'} |`;
}

/** Starts the setups and opens `count` subscribers on each (sampled as `sampleEvery` says). */
async function startSetups(
  names: string[],
  generators: number,
  count: number,
  sampling: { indexOffset: number; sampleEvery?: number },
): Promise<Setup[]> {
  const setups: Setup[] = [];
  try {
    for (const name of names) setups.push(await startSetup(name, generators));
    await sleep(1000); // let the processes load
    for (const setup of setups) {
      await connectSubscribers(setup.generators, {
        port: setup.subscribePort,
        path: `/.well-known/mercure?topic=${TOPIC}`,
        count,
        localAddresses,
        ...sampling,
      });
      await waitForSubscribers(setup.subscribeTo, count);
    }
  } catch (error) {
    for (const setup of setups) await stopSetup(setup);
    throw error;
  }
  return setups;
}

/**
 * Every setup runs at once (idle but for the one measured), and each step
 * runs for every setup back to back, so the setups compare over the same
 * minutes of a shared machine.
 */
async function runLatency(): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  console.log(
    `\n## Latency: ${fmt(S)} subscribers, rates ${rates.join(',')} upd/s, steps ${warmupSeconds}+${stepSeconds} s\n`,
  );
  console.log(LATENCY_HEAD);
  const setups = await startSetups(setupNames, generatorCount, S, { indexOffset: 0 });
  try {
    await sleep(1000);
    // Fresh processes: one short run per mode first, not recorded, so the
    // code paths are compiled before anything is measured.
    for (const setup of setups) for (const mode of modes) await latencyStep(setup, mode, 100, 2);
    for (const rate of rates) {
      for (const mode of modes) {
        for (const setup of setups) {
          const r = await stepWithRetry(() => latencyStep(setup, mode, rate), latencyRow);
          results.push(r);
          console.log(latencyRow(r));
        }
      }
    }
  } finally {
    for (const setup of setups) await stopSetup(setup);
  }
  return results;
}

function latencySummary(results: LatencyResult[]): void {
  console.log(
    '\n| publish | upd/s | memory p50 / p99 ms | redis p50 / p99 ms | redis-2 (A→B) p50 / p99 ms | redis − memory p50 / p99 ms | redis-2 − memory p50 / p99 ms |\n|---|---:|---:|---:|---:|---:|---:|',
  );
  const find = (setup: string, mode: Mode, rate: number): LatencyResult | undefined =>
    results.find((r) => r.setup === setup && r.mode === mode && r.rate === rate);
  const pair = (r: LatencyResult | undefined): string =>
    r ? `${fmt(r.p50Ms, 2)} / ${fmt(r.p99Ms, 2)}` : '-';
  const diff = (r: LatencyResult | undefined, base: LatencyResult | undefined): string =>
    r && base
      ? `${r.p50Ms >= base.p50Ms ? '+' : ''}${fmt(r.p50Ms - base.p50Ms, 2)} / ${r.p99Ms >= base.p99Ms ? '+' : ''}${fmt(r.p99Ms - base.p99Ms, 2)}`
      : '-';
  for (const mode of modes) {
    for (const rate of rates) {
      const m = find('memory', mode, rate);
      const r1 = find('redis', mode, rate);
      const r2 = find('redis-2', mode, rate);
      console.log(
        `| ${mode === 'http' ? 'HTTP POST' : 'hub.publish'} | ${fmt(rate)} | ${pair(m)} | ${pair(r1)} | ${pair(r2)} | ${diff(r1, m)} | ${diff(r2, m)} |`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// Part 2: throughput

interface ThroughputResult {
  setup: string;
  publisher: string;
  concurrency: number;
  publishesPerSecond: number;
  responseP50Ms: number;
  responseP99Ms: number;
  failed: number;
  lost: number;
  usage: Usage;
  bottleneck: string;
}

function bottleneck(u: Usage, publisherName: string): string {
  const candidates: [string, number][] = [
    ['hub', u.groups.hub ?? 0],
    ['Redis', u.redis],
  ];
  if (publisherName !== 'in process') candidates.push(['publisher', u.groups.publisher ?? 0]);
  candidates.sort((x, y) => y[1] - x[1]);
  const [name, value] = candidates[0] as [string, number];
  if (value >= 85) return `${name} CPU`;
  if (u.machine >= 90 * cpus().length) return 'all cores busy';
  return 'round trips (concurrency)';
}

async function floodStep(
  setup: Setup,
  concurrency: number,
  beforeFrames: number,
): Promise<ThroughputResult> {
  setup.publisher.send({
    type: 'flood',
    ...target(setup),
    concurrency,
    warmupSeconds: floodWarmupSeconds,
    seconds: floodSeconds,
    startSeq: setup.nextSeq,
  });
  const reply = setup.publisher.next(
    'flooded',
    (floodWarmupSeconds + floodSeconds) * 1000 + 60_000,
  );
  await sleep(floodWarmupSeconds * 1000);
  const a = await point(setup);
  await sleep(floodSeconds * 1000);
  const b = await point(setup);
  const { report } = await reply;
  setup.nextSeq = report.nextSeq;
  return throughputResult(setup, 'HTTP POST', concurrency, report, a, b, beforeFrames);
}

async function throughputResult(
  setup: Setup,
  publisherName: string,
  concurrency: number,
  report: Pick<PublishReport, 'ok' | 'failed' | 'okInWindow' | 'windowUs' | 'responseHistogram'>,
  a: Point,
  b: Point,
  beforeFrames: number,
): Promise<ThroughputResult> {
  const expected = report.ok * floodSubscribers;
  const drained = await drain(setup.generators, beforeFrames, expected);
  if (drained.received > expected) {
    console.error(`  ! ${drained.received - expected} frames more than published × subscribers`);
  }
  const h = createHistogram();
  mergeInto(h, report.responseHistogram);
  const u = usageBetween(a, b);
  return {
    setup: setup.name,
    publisher: publisherName,
    concurrency,
    publishesPerSecond: (report.okInWindow * 1e6) / report.windowUs,
    responseP50Ms: quantileUs(h, 0.5) / 1000,
    responseP99Ms: quantileUs(h, 0.99) / 1000,
    failed: report.failed,
    lost: Math.max(0, expected - drained.received),
    usage: u,
    bottleneck: bottleneck(u, publisherName),
  };
}

async function burstStep(
  setup: Setup,
  concurrency: number,
  beforeFrames: number,
): Promise<ThroughputResult> {
  setup.publishTo.send({
    type: 'burst',
    concurrency,
    warmupSeconds: floodWarmupSeconds,
    seconds: floodSeconds,
    startSeq: setup.nextSeq,
    payloadSize,
  });
  const reply = setup.publishTo.next(
    'burst-done',
    (floodWarmupSeconds + floodSeconds) * 1000 + 60_000,
  );
  await sleep(floodWarmupSeconds * 1000);
  const a = await point(setup);
  await sleep(floodSeconds * 1000);
  const b = await point(setup);
  const r = await reply;
  setup.nextSeq = r.nextSeq;
  if (r.failed > 0) console.error(`  ! ${r.failed} publishes failed: ${r.firstError}`);
  return throughputResult(
    setup,
    'in process',
    concurrency,
    {
      ok: r.total,
      failed: r.failed,
      okInWindow: r.count,
      windowUs: r.windowUs,
      responseHistogram: [],
    },
    a,
    b,
    beforeFrames,
  );
}

const THROUGHPUT_HEAD =
  '| setup | publisher | in flight | publishes/s | response p50 / p99 ms | hub CPU % (kernel) | publisher CPU % | Redis CPU % | hub µs / publish | Redis µs / publish | Redis cmds/s | all cores % | other / steal % | lost | limit |\n' +
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';

function throughputRow(r: ThroughputResult): string {
  const u = r.usage;
  const response =
    r.publisher === 'in process' ? '-' : `${fmt(r.responseP50Ms, 2)} / ${fmt(r.responseP99Ms, 2)}`;
  const lost = `${fmt(r.lost)}${r.failed > 0 ? ` (refused ${fmt(r.failed)})` : ''}`;
  return `| ${r.setup} | ${r.publisher} | ${fmt(r.concurrency)} | ${fmt(r.publishesPerSecond)} | ${response} | ${fmt(u.groups.hub ?? 0)} (${fmt(u.groupsSystem.hub ?? 0)}) | ${r.publisher === 'in process' ? '-' : fmt(u.groups.publisher ?? 0)} | ${fmt(u.redis)} | ${fmt(((u.groups.hub ?? 0) * 1e4) / r.publishesPerSecond, 1)} | ${r.setup === 'memory' ? '-' : fmt((u.redis * 1e4) / r.publishesPerSecond, 1)} | ${fmt(u.redisCommandsPerSecond)} | ${fmt(u.machine)} | ${fmt(u.other)} / ${fmt(u.steal)} | ${lost} | ${r.bottleneck} |`;
}

async function runThroughput(): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  console.log(
    `\n## Throughput: one hub, ${floodSubscribers} subscriber${floodSubscribers === 1 ? '' : 's'}, ${floodWarmupSeconds}+${floodSeconds} s per step\n`,
  );
  console.log(THROUGHPUT_HEAD);
  // Closed-loop publishers reorder updates beyond any window: no sampled
  // sequence checks (indexOffset 1, sampleEvery huge: no connection
  // sampled); every frame is still counted on every connection.
  const setups = await startSetups(
    setupNames.filter((n) => n !== 'redis-2'),
    1,
    floodSubscribers,
    { indexOffset: 1, sampleEvery: 1e9 },
  );
  try {
    const frames = async (setup: Setup): Promise<number> =>
      sum(await snapshots(setup.generators), (s) => s.frames);
    const steps: [string, number][] = [
      ...concurrencies.map((c): [string, number] => ['flood', c]),
      ...bursts.map((k): [string, number] => ['burst', k]),
    ];
    for (const [kind, n] of steps) {
      for (const setup of setups) {
        const r = await stepWithRetry(
          async () =>
            kind === 'flood'
              ? floodStep(setup, n, await frames(setup))
              : burstStep(setup, n, await frames(setup)),
          throughputRow,
        );
        results.push(r);
        console.log(throughputRow(r));
      }
    }
  } finally {
    for (const setup of setups) await stopSetup(setup);
  }
  return results;
}

function throughputSummary(results: ThroughputResult[]): void {
  console.log(
    '\n| publisher | memory best publishes/s | redis best publishes/s | redis / memory |\n|---|---:|---:|---:|',
  );
  for (const publisher of ['HTTP POST', 'in process']) {
    const best = (setup: string): ThroughputResult | undefined =>
      results
        .filter((r) => r.setup === setup && r.publisher === publisher)
        .sort((x, y) => y.publishesPerSecond - x.publishesPerSecond)[0];
    const m = best('memory');
    const r = best('redis');
    const cell = (x: ThroughputResult | undefined): string =>
      x ? `${fmt(x.publishesPerSecond)} (${fmt(x.concurrency)} in flight)` : '-';
    console.log(
      `| ${publisher} | ${cell(m)} | ${cell(r)} | ${m && r ? `${fmt(r.publishesPerSecond / m.publishesPerSecond, 2)}×` : '-'} |`,
    );
  }
}

// ---------------------------------------------------------------------------

// The driver shares the load core: it sleeps nearly all the time.
spawnSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], {
  stdio: 'ignore',
});
console.log(
  `redis: ${payloadSize}-byte payloads, hub on core ${hubCore}, ${generatorCount} generator processes + publisher + driver on core ${loadCore}, ` +
    `Redis ${redisUrl} (not pinned), ${localAddresses.length} source addresses, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
const quiet = await waitForQuiet(Number(args['wait-quiet']));
console.log(
  `machine before the run: ${fmt(quiet.busy)} % busy (of ${cpus().length * 100} %)${quiet.quiet ? '' : ' (NOT quiet: other work may disturb the figures)'}, after waiting ${fmt(quiet.waitedSeconds)} s`,
);
let latency: LatencyResult[] = [];
let throughput: ThroughputResult[] = [];
let failed = false;
try {
  if (parts.has('latency')) {
    latency = await runLatency();
    latencySummary(latency);
  }
  if (parts.has('throughput')) {
    throughput = await runThroughput();
    throughputSummary(throughput);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  let deleted = 0;
  for (const p of prefixes) deleted += await deletePrefix(admin, p);
  console.log(`\n(deleted ${deleted} Redis keys under ${prefixes.length} bench prefixes)`);
  await admin.close();
}
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ args, latency, throughput }, null, 2));
}
process.exit(failed ? 1 : 0);
