/**
 * The hub's vital signs, sampled and published in process every second (by
 * default) on the monitor topic: subscribers, throughput, memory, event loop
 * delay and CPU. Rates are deltas of the hub's counters (`hub.stats`) over
 * the time elapsed since the previous sample.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { HubStats } from '../hub/index.js';
import { checkInterval, every, type DemoHub, type DemoTask } from './schedule.js';
import { MONITOR_EVENT, MONITOR_TOPIC } from './topics.js';

/** One sample: the `data` of a `monitor` event. Rates are per second. */
export interface Vitals {
  /** Milliseconds since the epoch. */
  readonly time: number;
  /** Seconds the process has been running. */
  readonly uptime: number;
  /** Subscribers connected now. */
  readonly subscribers: number;
  /** Updates fanned out per second (with Redis, other processes' too). */
  readonly updatesPerSecond: number;
  /** Update × subscriber deliveries per second. */
  readonly deliveriesPerSecond: number;
  /** Bytes written to subscriber streams per second. */
  readonly bytesPerSecond: number;
  /** Resident set size, bytes. */
  readonly rss: number;
  /** V8 heap in use, bytes. */
  readonly heapUsed: number;
  /** V8 heap reserved, bytes. */
  readonly heapTotal: number;
  /** Event loop delay since the previous sample, in ms. */
  readonly eventLoopDelay: { readonly mean: number; readonly p99: number; readonly max: number };
  /** CPU time (user + system) over wall time since the previous sample, % of one core. */
  readonly cpu: number;
}

/** Options of {@link createVitalsSampler}. */
export interface VitalsSamplerOptions {
  /** Monotonic milliseconds. @default performance.now */
  now?: (() => number) | undefined;
}

/** A sampler: each call returns the vitals since the previous call (or since creation). */
export interface VitalsSampler {
  sample(): Vitals;
  /** Stops the event loop delay histogram. */
  close(): void;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** The hub counters the monitor reads. */
type Counters = Pick<HubStats, 'subscribers' | 'updatesDispatched' | 'deliveries' | 'bytesWritten'>;

/** Creates a sampler of the process and of `stats()` (a hub's counters). */
export function createVitalsSampler(
  stats: () => Counters,
  options: VitalsSamplerOptions = {},
): VitalsSampler {
  const now = options.now ?? (() => performance.now());
  // 10 ms resolution: cheap, and finer than what a dashboard shows.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // A copy of the counters: `stats()` may hand out the same object each time.
  const counters = (): Counters => {
    const { subscribers, updatesDispatched, deliveries, bytesWritten } = stats();
    return { subscribers, updatesDispatched, deliveries, bytesWritten };
  };
  let last = { at: now(), stats: counters(), cpu: process.cpuUsage() };
  return {
    sample() {
      const at = now();
      const current = counters();
      const cpu = process.cpuUsage();
      const seconds = Math.max((at - last.at) / 1000, 1e-3);
      const rate = (delta: number): number => round(delta / seconds, 1);
      const cpuMicros = cpu.user - last.cpu.user + (cpu.system - last.cpu.system);
      const memory = process.memoryUsage();
      // The histogram counts in ns; empty (NaN mean) until a sample landed.
      const ms = (ns: number): number => (loop.count === 0 ? 0 : round(ns / 1e6, 2));
      const vitals: Vitals = {
        time: Date.now(),
        uptime: Math.round(process.uptime()),
        subscribers: current.subscribers,
        updatesPerSecond: rate(current.updatesDispatched - last.stats.updatesDispatched),
        deliveriesPerSecond: rate(current.deliveries - last.stats.deliveries),
        bytesPerSecond: rate(current.bytesWritten - last.stats.bytesWritten),
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        eventLoopDelay: { mean: ms(loop.mean), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        cpu: round((cpuMicros / 1000 / (seconds * 1000)) * 100, 1),
      };
      loop.reset();
      last = { at, stats: current, cpu };
      return vitals;
    },
    close() {
      loop.disable();
    },
  };
}

/** Options of {@link startMonitor}. */
export interface MonitorOptions {
  /** Milliseconds between two samples. @default 1000 */
  interval?: number | undefined;
  /** Called when a publish fails (the hub closing stops the monitor instead). @default ignore */
  onError?: ((error: unknown) => void) | undefined;
}

/** Starts publishing the hub's vitals; returns the handle that stops it. */
export function startMonitor(hub: DemoHub, options: MonitorOptions = {}): DemoTask {
  const interval = checkInterval('monitorInterval', options.interval ?? 1000);
  const sampler = createVitalsSampler(() => hub.stats);
  return every(
    interval,
    async () => {
      await hub.publish({
        topics: MONITOR_TOPIC,
        type: MONITOR_EVENT,
        data: JSON.stringify(sampler.sample()),
      });
    },
    options.onError ?? (() => undefined),
    () => {
      sampler.close();
    },
  );
}
