/**
 * Measuring one step of the Redis benchmarks: CPU of named groups of
 * processes (by pid, from /proc), of Redis (`INFO`) and of every core
 * between two points; and a publish step against subscribers held by the
 * generator processes: counted frames, drain, sampled latency and sequence
 * checks.
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCoreTimes } from '../fanout/children.js';
import { nowUs } from '../fanout/clock.js';
import { collectLatency, resetLatency, snapshots, sum } from '../fanout/generators.js';
import type { Generator } from '../fanout/generators.js';
import { quantileUs, totalCount } from '../fanout/histogram.js';
import { procCpuSplitUs } from './proc.js';
import { redisPoint } from './redis-admin.js';
import type { Admin, RedisPoint } from './redis-admin.js';

const CORES = cpus().length;

/** CPU totals at one moment. */
export interface Point {
  atUs: number;
  /** Group name → CPU µs of its processes. */
  groups: Map<string, number>;
  /** Group name → system (kernel) CPU µs of its processes. */
  groupsSystem: Map<string, number>;
  driverUs: number;
  redis: RedisPoint;
  cores: Awaited<ReturnType<typeof readCoreTimes>>[];
}

/** Group name → pids (read again at every point, so it may change). */
export type Groups = () => [string, number[]][];

/** `admin` undefined: no Redis in the run (its CPU and commands read 0). */
export async function takePoint(admin: Admin | undefined, groups: Groups): Promise<Point> {
  const [redis, ...cores] = await Promise.all([
    admin === undefined ? Promise.resolve({ cpuUs: 0, commands: 0 }) : redisPoint(admin),
    ...Array.from({ length: CORES }, (_, i) => readCoreTimes(i)),
  ]);
  const driver = process.cpuUsage();
  const split = groups().map(([name, pids]): [string, { user: number; system: number }[]] => [
    name,
    pids.map(procCpuSplitUs),
  ]);
  return {
    atUs: nowUs(),
    groups: new Map(split.map(([name, xs]) => [name, sum(xs, (x) => x.user + x.system)])),
    groupsSystem: new Map(split.map(([name, xs]) => [name, sum(xs, (x) => x.system)])),
    driverUs: driver.user + driver.system,
    redis,
    cores,
  };
}

/** CPU use between two points, % of one core. */
export interface Usage {
  /** Group name → % of one core. */
  groups: Record<string, number>;
  /** Group name → system (kernel) part of it, % of one core. */
  groupsSystem: Record<string, number>;
  redis: number;
  redisCommandsPerSecond: number;
  /** Every core's busy time, % of one core (up to 100 × cores). */
  machine: number;
  /** Busy time not explained by the groups, the driver, Redis or interrupts: other work on the machine. */
  other: number;
  /** Time the hypervisor ran something else on our virtual cores, % of one core (summed over cores). */
  steal: number;
}

export function usageBetween(a: Point, b: Point): Usage {
  const windowUs = b.atUs - a.atUs;
  const pct = (us: number): number => (100 * us) / windowUs;
  const groups: Record<string, number> = {};
  const groupsSystem: Record<string, number> = {};
  let ours = 0;
  for (const [name, us] of b.groups) {
    const value = pct(us - (a.groups.get(name) ?? 0));
    groups[name] = value;
    groupsSystem[name] = pct((b.groupsSystem.get(name) ?? 0) - (a.groupsSystem.get(name) ?? 0));
    ours += value;
  }
  const redis = pct(b.redis.cpuUs - a.redis.cpuUs);
  ours += redis + pct(b.driverUs - a.driverUs);
  let busy = 0;
  let irq = 0;
  let steal = 0;
  for (let i = 0; i < a.cores.length; i++) {
    const x = a.cores[i];
    const y = b.cores[i];
    if (!x || !y) continue;
    const total = Math.max(1, y.total - x.total);
    busy += (100 * (y.busy - x.busy)) / total;
    irq += (100 * (y.softirq - x.softirq)) / total;
    steal += (100 * (y.steal - x.steal)) / total;
  }
  return {
    steal,
    groups,
    groupsSystem,
    redis,
    redisCommandsPerSecond: ((b.redis.commands - a.redis.commands) * 1e6) / windowUs,
    machine: busy,
    other: Math.max(0, busy - ours - irq),
  };
}

/** Waits until every expected frame arrived, or until they stop coming (bounded). */
export async function drain(
  generators: Generator[],
  beforeFrames: number,
  expected: number,
): Promise<{ received: number; closedByServer: number; ms: number }> {
  const started = Date.now();
  let last = await snapshots(generators);
  let received = sum(last, (s) => s.frames) - beforeFrames;
  let lastProgress = Date.now();
  while (received < expected && Date.now() - started < 30_000 && Date.now() - lastProgress < 3000) {
    await sleep(50);
    last = await snapshots(generators);
    const now = sum(last, (s) => s.frames) - beforeFrames;
    if (now > received) lastProgress = Date.now();
    received = now;
  }
  return {
    received,
    closedByServer: sum(last, (s) => s.closedByServer),
    ms: Date.now() - started,
  };
}

/** What a publish run reports when it is done. */
export interface Published {
  /** Updates stored (for HTTP: answered 200). */
  published: number;
  /** Publishes refused or failed. */
  failed: number;
  /** Largest lag behind the schedule, µs. */
  maxLagUs: number;
}

export interface StepOptions {
  generators: Generator[];
  /** Subscribers every update goes to. */
  subscribers: number;
  warmupSeconds: number;
  /** Starts publishing; resolves when every update was published. */
  publish: () => Promise<Published>;
  /** Takes a CPU point (start and end of the measured window). */
  point: () => Promise<Point>;
}

export interface StepResult {
  published: number;
  failedPublishes: number;
  expected: number;
  received: number;
  lost: number;
  sampledEvents: number;
  sampledGaps: number;
  sampledDuplicates: number;
  closed: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  latencySamples: number;
  maxLagMs: number;
  /** Updates published per second, start to last (below the target rate when the publisher fell behind). */
  achievedRate: number;
  drainMs: number;
  usage: Usage;
  /** Zero loss: every frame on every connection, no gap or duplicate on the sampled ones, none dropped, none refused. */
  pass: boolean;
}

/**
 * One step: publish (warm-up, then the measured window up to the last
 * update), drain, then merge the latency of the updates published after
 * the warm-up.
 */
export async function publishStep(o: StepOptions): Promise<StepResult> {
  const before = await snapshots(o.generators);
  const startUs = nowUs();
  const done = o.publish().then((p) => ({ ...p, endUs: nowUs() }));
  await sleep(o.warmupSeconds * 1000);
  resetLatency(o.generators, nowUs());
  const a = await o.point();
  const aFrames = sum(await snapshots(o.generators), (s) => s.frames);
  const published = await done;
  const b = await o.point();
  const bFrames = sum(await snapshots(o.generators), (s) => s.frames);
  const expected = published.published * o.subscribers;
  const drained = await drain(
    o.generators,
    sum(before, (s) => s.frames),
    expected,
  );
  if (drained.received > expected) {
    console.error(`  ! ${drained.received - expected} frames more than published × subscribers`);
  }
  const merged = await collectLatency(o.generators);
  if (merged.sampledMarkers !== merged.sampledEvents) {
    console.error(
      `  ! sampled connections: ${merged.sampledMarkers} markers counted but ${merged.sampledEvents} events parsed`,
    );
  }
  const closed = drained.closedByServer - sum(before, (s) => s.closedByServer);
  const lost = Math.max(0, expected - drained.received);
  const h = merged.histogram;
  return {
    published: published.published,
    failedPublishes: published.failed,
    expected,
    received: drained.received,
    lost,
    sampledEvents: merged.sampledEvents,
    sampledGaps: merged.sampledGaps,
    sampledDuplicates: merged.sampledDuplicates,
    closed,
    deliveriesPerSecond: ((bFrames - aFrames) * 1e6) / (b.atUs - a.atUs),
    p50Ms: quantileUs(h, 0.5) / 1000,
    p99Ms: quantileUs(h, 0.99) / 1000,
    p999Ms: quantileUs(h, 0.999) / 1000,
    maxMs: merged.maxLatencyUs / 1000,
    latencySamples: totalCount(h),
    maxLagMs: published.maxLagUs / 1000,
    achievedRate: (published.published * 1e6) / (published.endUs - startUs),
    drainMs: drained.ms,
    usage: usageBetween(a, b),
    pass:
      lost === 0 &&
      drained.received === expected &&
      published.failed === 0 &&
      merged.sampledGaps === 0 &&
      merged.sampledDuplicates === 0 &&
      closed === 0 &&
      totalCount(h) > 0,
  };
}

/** The loss cell of a table: `0`, or what went wrong. */
export function lossCell(r: StepResult, fmt: (n: number) => string): string {
  const parts: string[] = [];
  if (r.sampledGaps) parts.push(`gaps ${fmt(r.sampledGaps)}`);
  if (r.sampledDuplicates) parts.push(`dups ${fmt(r.sampledDuplicates)}`);
  if (r.closed) parts.push(`closed ${fmt(r.closed)}`);
  if (r.failedPublishes) parts.push(`refused ${fmt(r.failedPublishes)}`);
  return parts.length === 0 && r.lost === 0
    ? '0'
    : `${fmt(r.lost)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * Waits until the machine is quiet (other work, such as a test suite,
 * would disturb the figures): every core together at most `busyPct` busy
 * (% of one core) over a `windowSeconds` sample, for at most `maxSeconds`.
 */
export async function waitForQuiet(
  maxSeconds: number,
  busyPct = 15,
  windowSeconds = 3,
): Promise<{ quiet: boolean; busy: number; waitedSeconds: number }> {
  const started = Date.now();
  let busy: number;
  do {
    const a = await Promise.all(Array.from({ length: CORES }, (_, i) => readCoreTimes(i)));
    await sleep(windowSeconds * 1000);
    const b = await Promise.all(Array.from({ length: CORES }, (_, i) => readCoreTimes(i)));
    busy = 0;
    for (let i = 0; i < CORES; i++) {
      const x = a[i];
      const y = b[i];
      if (x && y) busy += (100 * (y.busy - x.busy)) / Math.max(1, y.total - x.total);
    }
    if (busy <= busyPct) break;
  } while (Date.now() - started < maxSeconds * 1000);
  return { quiet: busy <= busyPct, busy, waitedSeconds: (Date.now() - started) / 1000 };
}

/**
 * Runs a step; when other work (other processes, or the hypervisor's steal)
 * took more than `maxOtherPct` (% of one core) of the machine during it,
 * waits for a quiet moment (up to a minute) and runs it again, at most
 * `retries` times. Returns the last run.
 */
export async function stepWithRetry<T extends { usage: Usage }>(
  run: () => Promise<T>,
  show: (r: T) => string,
  maxOtherPct = 25,
  retries = 2,
): Promise<T> {
  let r = await run();
  for (let i = 0; i < retries && r.usage.other + r.usage.steal > maxOtherPct; i++) {
    console.log(
      `${show(r)} (other load ${Math.round(r.usage.other)} %, steal ${Math.round(r.usage.steal)} %: repeating)`,
    );
    await waitForQuiet(60);
    r = await run();
  }
  return r;
}
