/**
 * Fan-out benchmark: 1 topic, N subscribers (default 10,000), ~100-byte
 * updates, publish rate stepped upward, for several servers in the same run.
 *
 *   node --import tsx bench/fanout/run.ts --quick                 # 1,000 subscribers, ~1 min per server
 *   node --import tsx bench/fanout/run.ts                         # 10,000 subscribers, all servers
 *   node --import tsx bench/fanout/run.ts --servers naive,ssehub --rates 1,2,5,10
 *
 * Layout: the server under test runs pinned to one core (`taskset -c 0`), the
 * generator processes (`generator-worker.ts`) and this driver to the other.
 * Per server: memory before any subscriber; a light-load step (10 updates/s
 * to 1,000 subscribers); connect up to N; memory per idle subscriber; then
 * the rate ladder, each step `--warmup-seconds` + `--step-seconds` of
 * publishing, then a drain until every frame arrived (or stopped coming).
 * Stepping stops after `--fail-stop` consecutive failing steps (steps that do
 * not count, below, are skipped over). A step passes
 * with zero loss (all frames counted on every connection, no sequence gap on
 * the sampled ones, no connection dropped) and p99 < 1 s; it does not count
 * when the generator's core was over 90 % busy.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCoreTimes, startChild } from './children.js';
import type { Child } from './children.js';
import { nowUs } from './clock.js';
import {
  collectLatency,
  connectSubscribers,
  fmt,
  localAddressesFor,
  resetLatency,
  snapshots,
  startGenerators,
  sum,
} from './generators.js';
import type { Generator } from './generators.js';
import { quantileUs, totalCount } from './histogram.js';
import type { ServerCommand, ServerReply, ServerStats, WorkerSnapshot } from './ipc.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    subscribers: { type: 'string' },
    rates: { type: 'string' },
    'step-seconds': { type: 'string' },
    'warmup-seconds': { type: 'string' },
    servers: { type: 'string', default: 'naive,better-sse,ssehub' },
    workers: { type: 'string', default: '2' },
    addresses: { type: 'string', default: '8' },
    'payload-bytes': { type: 'string', default: '100' },
    'server-core': { type: 'string', default: '0' },
    'generator-core': { type: 'string', default: '1' },
    'light-subscribers': { type: 'string', default: '1000' },
    'light-rate': { type: 'string', default: '10' },
    'skip-light': { type: 'boolean', default: false },
    'fail-stop': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '30' },
    'cpu-prof': { type: 'string', default: '' },
    'cpu-prof-dir': { type: 'string', default: '/tmp/ssehub-fanout-profiles' },
    json: { type: 'string', default: '' },
    nice: { type: 'string', default: '0' },
  },
});

const quick = args.quick;
const N = Number(args.subscribers ?? (quick ? 1000 : 10_000));
const rates = (
  args.rates ??
  (quick
    ? '1,10,50,100,200'
    : '1,2,3,4,5,6,8,10,12,15,20,25,30,40,50,60,80,100,120,150,200,250,300,400')
)
  .split(',')
  .map(Number);
const stepSeconds = Number(args['step-seconds'] ?? (quick ? 3 : 10));
const warmupSeconds = Number(args['warmup-seconds'] ?? (quick ? 1 : 2));
const servers = args.servers.split(',').filter(Boolean);
const workerCount = Number(args.workers);
const addressCount = Number(args.addresses);
const payloadSize = Number(args['payload-bytes']);
const serverCore = Number(args['server-core']);
const generatorCore = Number(args['generator-core']);
const lightN = Math.min(Number(args['light-subscribers']), N);
const lightRate = Number(args['light-rate']);
const failStop = Number(args['fail-stop']);
const deadline = Date.now() + Number(args['max-minutes']) * 60_000;
/** Niceness of the server and generator processes (negative needs root): keeps other work on a shared machine from sinking steps. */
const niceness = Number(args.nice);
const localAddresses = localAddressesFor(addressCount);
const tsx = import.meta.resolve('tsx');
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

type Server = Child<ServerReply, ServerCommand>;
type Worker = Generator;

interface StepResult {
  label: string;
  subscribers: number;
  rate: number;
  offered: number;
  achieved: number;
  expected: number;
  received: number;
  lost: number;
  sampledEvents: number;
  sampledGaps: number;
  sampledDuplicates: number;
  closed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpu: number;
  serverCore: number;
  generatorCpu: number;
  generatorCore: number;
  /** Interrupt (softirq) time on each core, %: loopback TCP work not charged to a process. */
  serverIrq: number;
  generatorIrq: number;
  /** Core busy % not explained by our processes or interrupts: other work on the machine. */
  serverForeign: number;
  generatorForeign: number;
  /** Generator processes + driver + interrupts on the generator core (at most its busy %): a step counts only when ≤ 90 %. */
  generatorLoad: number;
  publishLagMs: number;
  drainMs: number;
  pass: boolean;
  valid: boolean;
}

interface MemoryResult {
  subscribers: number;
  connectMs: number;
  rssPerSub: number;
  heapPerSub: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
}

interface ServerResult {
  name: string;
  light: StepResult | undefined;
  memory: MemoryResult | undefined;
  steps: StepResult[];
  knee: StepResult | undefined;
  error: string | undefined;
}

async function serverStats(server: Server, gc: boolean): Promise<ServerStats> {
  server.send({ type: 'stats', gc });
  return (await server.next('stats')).stats;
}

function connect(
  workers: Worker[],
  port: number,
  count: number,
  indexOffset: number,
): Promise<{ ms: number; connected: number }> {
  return connectSubscribers(workers, {
    port,
    path: '/events?topic=bench',
    count,
    localAddresses,
    indexOffset,
    concurrency: 200,
  });
}

async function waitForSubscribers(server: Server, count: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await serverStats(server, false)).subscribers >= count) return;
    await sleep(100);
  }
  throw new Error(`server never reported ${count} subscribers`);
}

interface Point {
  workers: WorkerSnapshot[];
  server: ServerStats;
  serverCore: Awaited<ReturnType<typeof readCoreTimes>>;
  generatorCore: Awaited<ReturnType<typeof readCoreTimes>>;
  driverCpuUs: number;
  atUs: number;
}

async function point(server: Server, workers: Worker[]): Promise<Point> {
  const [w, s, sc, gc] = await Promise.all([
    snapshots(workers),
    serverStats(server, false),
    readCoreTimes(serverCore),
    readCoreTimes(generatorCore),
  ]);
  const driver = process.cpuUsage();
  return {
    workers: w,
    server: s,
    serverCore: sc,
    generatorCore: gc,
    driverCpuUs: driver.user + driver.system,
    atUs: nowUs(),
  };
}

let nextSeq = 1;

async function step(
  label: string,
  server: Server,
  workers: Worker[],
  subscribers: number,
  rate: number,
): Promise<StepResult> {
  const count = Math.max(1, Math.round(rate * (warmupSeconds + stepSeconds)));
  const startSeq = nextSeq;
  nextSeq += count;
  const before = await snapshots(workers);
  server.send({ type: 'publish', rate, count, startSeq, payloadSize });
  const publishTimeoutMs = (warmupSeconds + stepSeconds) * 1000 + 120_000;
  const published = server.next('published', publishTimeoutMs);
  await sleep(warmupSeconds * 1000);
  const fromUs = nowUs();
  resetLatency(workers, fromUs);
  const a = await point(server, workers);
  const done = await published;
  const b = await point(server, workers);

  // Drain: wait until every frame arrived, or until they stop coming (bounded).
  const expected = count * subscribers;
  const beforeFrames = sum(before, (s) => s.frames);
  let received = sum(b.workers, (s) => s.frames) - beforeFrames;
  let last = b.workers;
  const drainStart = Date.now();
  let lastProgress = Date.now();
  while (
    received < expected &&
    Date.now() - drainStart < 30_000 &&
    Date.now() - lastProgress < 3000
  ) {
    await sleep(100);
    last = await snapshots(workers);
    const now = sum(last, (s) => s.frames) - beforeFrames;
    if (now > received) lastProgress = Date.now();
    received = now;
  }
  const drainMs = Date.now() - drainStart;
  const merged = await collectLatency(workers);
  const histogram = merged.histogram;

  const windowUs = b.atUs - a.atUs;
  const framesInWindow = sum(b.workers, (s) => s.frames) - sum(a.workers, (s) => s.frames);
  const serverCpuUs =
    b.server.cpuUserUs + b.server.cpuSystemUs - a.server.cpuUserUs - a.server.cpuSystemUs;
  const generatorCpuUs =
    sum(b.workers, (s) => s.cpuUserUs + s.cpuSystemUs) -
    sum(a.workers, (s) => s.cpuUserUs + s.cpuSystemUs);
  const coreBusy = (x: Point['serverCore'], y: Point['serverCore']): number =>
    (100 * (y.busy - x.busy)) / Math.max(1, y.total - x.total);
  const coreIrq = (x: Point['serverCore'], y: Point['serverCore']): number =>
    (100 * (y.softirq - x.softirq)) / Math.max(1, y.total - x.total);
  const serverIrq = coreIrq(a.serverCore, b.serverCore);
  const generatorIrq = coreIrq(a.generatorCore, b.generatorCore);
  const { sampledEvents, sampledMarkers } = merged;
  if (sampledMarkers !== sampledEvents) {
    console.error(
      `  ! sampled connections: ${sampledMarkers} markers counted but ${sampledEvents} events parsed`,
    );
  }
  const { sampledGaps, sampledDuplicates } = merged;
  const closed = sum(last, (s) => s.closedByServer) - sum(before, (s) => s.closedByServer);
  const p99 = quantileUs(histogram, 0.99);
  const generatorCore = coreBusy(a.generatorCore, b.generatorCore);
  const serverCoreBusy = coreBusy(a.serverCore, b.serverCore);
  const serverCpu = (100 * serverCpuUs) / windowUs;
  const generatorCpu = (100 * generatorCpuUs) / windowUs;
  const driverCpu = (100 * (b.driverCpuUs - a.driverCpuUs)) / windowUs;
  // Interrupt time is partly charged to the interrupted process too, so the
  // sum can pass 100 %: the core's busy time bounds it.
  const generatorLoad = Math.min(generatorCpu + driverCpu + generatorIrq, generatorCore);
  const lost = Math.max(0, expected - received);
  const result: StepResult = {
    label,
    subscribers,
    rate,
    offered: rate * subscribers,
    achieved: (framesInWindow * 1e6) / windowUs,
    expected,
    received,
    lost,
    sampledEvents,
    sampledGaps,
    sampledDuplicates,
    closed,
    p50Ms: quantileUs(histogram, 0.5) / 1000,
    p99Ms: p99 / 1000,
    maxMs: merged.maxLatencyUs / 1000,
    serverCpu,
    serverCore: serverCoreBusy,
    generatorCpu,
    generatorCore,
    serverIrq,
    generatorIrq,
    serverForeign: Math.max(0, serverCoreBusy - serverCpu - serverIrq),
    generatorForeign: Math.max(0, generatorCore - generatorCpu - driverCpu - generatorIrq),
    generatorLoad,
    publishLagMs: done.maxLagUs / 1000,
    drainMs,
    pass:
      lost === 0 &&
      received === expected &&
      sampledGaps === 0 &&
      sampledDuplicates === 0 &&
      closed === 0 &&
      totalCount(histogram) > 0 &&
      p99 < 1e6,
    valid: generatorLoad <= 90,
  };
  return result;
}

/** More than 15 % of the server's core went to something other than the processes under test. */
const noisy = (r: StepResult): boolean => r.serverForeign > 15;

/**
 * Other work on the machine (another process on either core) can sink a step;
 * such a step is shown and run again (at most twice).
 */
async function stepWithRetry(
  label: string,
  server: Server,
  workers: Worker[],
  subscribers: number,
  rate: number,
): Promise<StepResult> {
  let r = await step(label, server, workers, subscribers, rate);
  for (let retry = 0; retry < 2 && !(r.pass && r.valid) && noisy(r); retry++) {
    console.log(`${row(r)} (other load, repeating)`);
    await sleep(2000);
    r = await step(label, server, workers, subscribers, rate);
  }
  return r;
}

const verdict = (r: StepResult): string =>
  !r.valid ? 'invalid (generator > 90 %)' : r.pass ? 'pass' : 'FAIL';

const TABLE_HEAD =
  '| step | subs | upd/s | offered deliv/s | achieved deliv/s | lost | p50 ms | p99 ms | max ms | server CPU % | server irq % | gen CPU % | gen irq % | gen load % | other load % | result |\n' +
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
function row(r: StepResult): string {
  const lost =
    r.lost > 0 || r.sampledGaps > 0 || r.closed > 0
      ? `${fmt(r.lost)}${r.sampledGaps ? ` (gaps ${fmt(r.sampledGaps)})` : ''}${r.closed ? ` (closed ${r.closed})` : ''}`
      : '0';
  return `| ${r.label} | ${fmt(r.subscribers)} | ${fmt(r.rate)} | ${fmt(r.offered)} | ${fmt(r.achieved)} | ${lost} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.maxMs, 1)} | ${fmt(r.serverCpu)} | ${fmt(r.serverIrq)} | ${fmt(r.generatorCpu)} | ${fmt(r.generatorIrq)} | ${fmt(r.generatorLoad)} | ${fmt(r.serverForeign)} / ${fmt(r.generatorForeign)} | ${verdict(r)} |`;
}

async function runServer(name: string): Promise<ServerResult> {
  const result: ServerResult = {
    name,
    light: undefined,
    memory: undefined,
    steps: [],
    knee: undefined,
    error: undefined,
  };
  const prof =
    args['cpu-prof'] === name ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : [];
  const server: Server = startChild(
    name,
    serverCore,
    ['--expose-gc', '--import', tsx, ...prof],
    here(`./servers/${name}.ts`),
    niceness,
  );
  const workers: Worker[] = [];
  try {
    const { port } = await server.next('ready', 60_000);
    workers.push(...startGenerators(workerCount, generatorCore, niceness));
    await sleep(1500); // let the processes load before the baseline
    const memBefore = await serverStats(server, true);
    console.log(`\n## ${name}\n`);
    let connected = 0;
    if (!args['skip-light'] && lightN > 0) {
      await connect(workers, port, lightN, 0);
      connected = lightN;
      await waitForSubscribers(server, connected);
      await sleep(1000);
      result.light = await stepWithRetry(
        `light ${fmt(lightN)}`,
        server,
        workers,
        lightN,
        lightRate,
      );
    }
    const c = await connect(workers, port, N - connected, connected);
    connected = N;
    await waitForSubscribers(server, N);
    await sleep(3000);
    const memAfter = await serverStats(server, true);
    result.memory = {
      subscribers: N,
      connectMs: c.ms,
      rssBefore: memBefore.rss,
      rssAfter: memAfter.rss,
      heapBefore: memBefore.heapUsed + memBefore.external,
      heapAfter: memAfter.heapUsed + memAfter.external,
      rssPerSub: (memAfter.rss - memBefore.rss) / N,
      heapPerSub:
        (memAfter.heapUsed + memAfter.external - memBefore.heapUsed - memBefore.external) / N,
    };
    console.log(
      `connected ${fmt(c.connected)} more subscribers (to ${fmt(N)}) in ${fmt(c.ms)} ms; idle memory at ${fmt(N)}: ` +
        `RSS ${fmt(result.memory.rssPerSub / 1024, 1)} KB/subscriber, heap+external ${fmt(result.memory.heapPerSub / 1024, 1)} KB/subscriber\n`,
    );
    console.log(TABLE_HEAD);
    if (result.light) console.log(row(result.light));
    let failures = 0;
    for (const rate of rates) {
      if (Date.now() > deadline) {
        console.log(`(time budget reached, stopping at ${rate} upd/s)`);
        break;
      }
      const r = await stepWithRetry(`${rate}/s`, server, workers, N, rate);
      result.steps.push(r);
      console.log(row(r));
      // An invalid step (the generator was the bottleneck) tells nothing
      // about the server: it neither passes nor counts towards stopping.
      if (!r.valid) continue;
      if (r.pass) {
        failures = 0;
        if (!result.knee || r.offered > result.knee.offered) result.knee = r;
      } else if (++failures >= failStop) break;
    }
  } catch (error) {
    result.error = String(error);
    console.error(`${name}: ${String(error)}`);
  } finally {
    for (const w of workers) w.send({ type: 'close' });
    await Promise.all(workers.map((w) => w.next('closed', 10_000).catch(() => undefined)));
    server.send({ type: 'exit' });
    // Let it exit by itself (writing its CPU profile, when asked), within bounds.
    const exited = new Promise((resolve) => server.process.once('exit', resolve));
    await Promise.race([exited, sleep(prof.length > 0 ? 30_000 : 1000)]);
    for (const w of workers) w.kill();
    server.kill();
  }
  return result;
}

// This driver shares the generator's core: it sleeps nearly all the time.
spawnSync('taskset', ['-a', '-p', '-c', String(generatorCore), String(process.pid)], {
  stdio: 'ignore',
});
console.log(
  `fan-out: ${fmt(N)} subscribers, 1 topic, ${payloadSize}-byte payloads, rates ${rates.join(',')} upd/s, ` +
    `steps ${warmupSeconds}+${stepSeconds} s, server on core ${serverCore}, ${workerCount} generator processes + driver on core ${generatorCore}, ` +
    `${addressCount} source addresses, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
const results: ServerResult[] = [];
for (const name of servers) results.push(await runServer(name));

console.log('\n## Summary\n');
console.log(
  '| server | knee (upd/s) | knee deliveries/s | p99 at knee ms | vs naive | vs better-sse |\n|---|---:|---:|---:|---:|---:|',
);
const kneeOf = (name: string): number | undefined =>
  results.find((r) => r.name === name)?.knee?.offered;
for (const r of results) {
  const k = r.knee;
  const ratio = (base: string): string => {
    const b = kneeOf(base);
    return k && b ? `${fmt(k.offered / b, 2)}×` : '-';
  };
  console.log(
    `| ${r.name} | ${k ? fmt(k.rate) : '-'} | ${k ? fmt(k.offered) : '-'} | ${k ? fmt(k.p99Ms, 1) : '-'} | ${ratio('naive')} | ${ratio('better-sse')} |`,
  );
}
console.log(
  '\n| server | light: 1 upd/s to ' +
    fmt(N) +
    ' p50 / p99 ms | light: ' +
    `${lightRate} upd/s to ${fmt(lightN)} p50 / p99 ms | idle RSS KB/sub | idle heap+external KB/sub | connect ${fmt(N)} s |\n|---|---:|---:|---:|---:|---:|`,
);
for (const r of results) {
  const one = r.steps.find((s) => s.rate === 1);
  const pair = (s: StepResult | undefined): string =>
    s ? `${fmt(s.p50Ms, 2)} / ${fmt(s.p99Ms, 2)}` : '-';
  const m = r.memory;
  console.log(
    `| ${r.name} | ${pair(one)} | ${pair(r.light)} | ${m ? fmt(m.rssPerSub / 1024, 1) : '-'} | ${m ? fmt(m.heapPerSub / 1024, 1) : '-'} | ${m ? fmt(m.connectMs / 1000, 1) : '-'} |`,
  );
}
if (args.json) writeFileSync(args.json, JSON.stringify({ args, N, rates, results }, null, 2));
process.exit(results.some((r) => r.error) ? 1 : 0);
