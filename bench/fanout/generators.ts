/**
 * Driving the generator processes (`generator-worker.ts`) from a benchmark
 * driver: start them, open subscribers on them, read their counters and merge
 * their latency samples. Shared by the fan-out driver (`run.ts`) and the
 * Redis benchmarks (`bench/redis/`).
 */
import { fileURLToPath } from 'node:url';
import { startChild } from './children.js';
import type { Child } from './children.js';
import { nowUs } from './clock.js';
import { createHistogram, mergeInto } from './histogram.js';
import type { WorkerCommand, WorkerReply, WorkerSnapshot } from './ipc.js';

export type Generator = Child<WorkerReply, WorkerCommand>;

/** Sample 1 % of connections, at least 50. */
export const sampleEveryFor = (count: number): number =>
  Math.max(1, Math.min(100, Math.floor(count / 50)));

/** Source addresses 127.0.0.2, 127.0.0.3, … (`count` of them). */
export const localAddressesFor = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);

/** Starts `count` generator processes on `cores` (a `taskset -c` list), loaded through tsx. */
export function startGenerators(count: number, cores: number | string, niceness = 0): Generator[] {
  const script = fileURLToPath(new URL('./generator-worker.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  return Array.from({ length: count }, (_, i) =>
    startChild<WorkerReply, WorkerCommand>(
      `generator ${i}`,
      cores,
      ['--import', tsx],
      script,
      niceness,
    ),
  );
}

/** Counters of every generator, in order. */
export async function snapshots(generators: Generator[]): Promise<WorkerSnapshot[]> {
  for (const g of generators) g.send({ type: 'snapshot' });
  return Promise.all(generators.map(async (g) => (await g.next('snapshot')).snapshot));
}

export const sum = <T>(xs: readonly T[], f: (x: T) => number): number =>
  xs.reduce((acc, x) => acc + f(x), 0);

export interface ConnectOptions {
  port: number;
  /** Request target, e.g. `/events?topic=bench`. */
  path: string;
  count: number;
  /** Global index of the first connection (sampling and source address rotate on it). */
  indexOffset: number;
  localAddresses: string[];
  /** @default sampleEveryFor(count) */
  sampleEvery?: number | undefined;
  /** Connections in flight per generator. @default 200 */
  concurrency?: number | undefined;
  /** @default 180000 */
  timeoutMs?: number | undefined;
}

/**
 * Opens `count` subscribers, split evenly over the generators; rejects when
 * any connection failed (naming the first error).
 */
export async function connectSubscribers(
  generators: Generator[],
  options: ConnectOptions,
): Promise<{ ms: number; connected: number }> {
  const started = nowUs();
  const { count } = options;
  const sampleEvery = options.sampleEvery ?? sampleEveryFor(count);
  const per = Math.ceil(count / generators.length);
  const jobs = generators.map((g, i) => {
    const n = Math.max(0, Math.min(per, count - i * per));
    if (n === 0) return Promise.resolve(0);
    g.send({
      type: 'connect',
      port: options.port,
      path: options.path,
      count: n,
      localAddresses: options.localAddresses,
      sampleEvery,
      indexOffset: options.indexOffset + i * per,
      concurrency: options.concurrency ?? 200,
    });
    return g.next('connected', options.timeoutMs ?? 180_000).then((r) => {
      if (r.failed > 0) throw new Error(`${r.failed} connections failed: ${r.firstError}`);
      return r.connected;
    });
  });
  const connected = (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
  return { ms: (nowUs() - started) / 1000, connected };
}

/** Latency and sequence checks of every generator since their last `reset-latency`, merged. */
export interface MergedLatency {
  histogram: Float64Array;
  sampledEvents: number;
  sampledMarkers: number;
  sampledGaps: number;
  sampledDuplicates: number;
  maxLatencyUs: number;
}

export function resetLatency(generators: Generator[], fromUs: number): void {
  for (const g of generators) g.send({ type: 'reset-latency', fromUs });
}

export async function collectLatency(generators: Generator[]): Promise<MergedLatency> {
  for (const g of generators) g.send({ type: 'collect-latency' });
  const latencies = await Promise.all(
    generators.map(async (g) => (await g.next('latency')).latency),
  );
  const histogram = createHistogram();
  for (const l of latencies) mergeInto(histogram, l.histogram);
  return {
    histogram,
    sampledEvents: sum(latencies, (l) => l.sampledEvents),
    sampledMarkers: sum(latencies, (l) => l.sampledMarkers),
    sampledGaps: sum(latencies, (l) => l.sampledGaps),
    sampledDuplicates: sum(latencies, (l) => l.sampledDuplicates),
    maxLatencyUs: Math.max(0, ...latencies.map((l) => l.maxLatencyUs)),
  };
}

/** Closes every subscriber and lets the generators exit (bounded), then kills what is left. */
export async function closeGenerators(generators: Generator[]): Promise<void> {
  for (const g of generators) g.send({ type: 'close' });
  await Promise.all(generators.map((g) => g.next('closed', 10_000).catch(() => undefined)));
  for (const g of generators) g.kill();
}

/** Numbers as the benchmark tables print them: grouped, fixed digits, `-` when not finite. */
export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '-';
