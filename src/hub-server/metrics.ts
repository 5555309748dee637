/**
 * Prometheus metrics of a hub server, on its own prom-client `Registry` (never
 * the global one, so several hubs in one process, or an application's own
 * metrics, do not collide).
 *
 * The hub keeps plain counters; they are read at scrape time (`collect`), so
 * the hot path pays nothing for metrics.
 *
 * @see https://prometheus.io/docs/practices/naming/
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { HubStats } from '../hub/index.js';
import type { TransportLatency } from '../hub/types.js';

/** The hub counters the metrics read (`hub.stats`). */
export type HubStatsSnapshot = Pick<
  HubStats,
  | 'subscribers'
  | 'updatesPublished'
  | 'updatesDispatched'
  | 'deliveries'
  | 'writes'
  | 'bytesWritten'
  | 'disconnects'
  | 'history'
  | 'selectors'
  | 'transport'
>;

/** Options of {@link createHubMetrics}. */
export interface HubMetricsOptions {
  /** Metric name prefix. @default 'ssehub_' */
  prefix?: string | undefined;
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). @default true */
  defaultMetrics?: boolean | undefined;
  /** Labels added to every metric. @default undefined */
  labels?: Readonly<Record<string, string>> | undefined;
  /**
   * The transport's append latency (`transport.appendLatency`), read at
   * scrape time and exported as the histogram
   * `ssehub_transport_append_seconds`. Omitted: no such metric.
   *
   * @default undefined
   */
  appendLatency?: (() => TransportLatency) | undefined;
  /**
   * The server's connection counters, read at scrape time:
   * `ssehub_connections` (gauge), `ssehub_connections_refused_total{limit}`,
   * `ssehub_head_timeouts_total`, `ssehub_accept_pauses_total`. Omitted: no
   * such metrics.
   *
   * @default undefined
   */
  network?: (() => NetworkStats) | undefined;
}

/** Connection counters of the server (`connection-limits.ts`, `head-deadline.ts`). */
export interface NetworkStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections closed at accept by `maxConnections`. */
  readonly refusedTotal: number;
  /** Connections closed at accept by `maxConnectionsPerAddress`. */
  readonly refusedPerAddress: number;
  /** Connections closed (408) for not sending a request head in time. */
  readonly headTimeouts: number;
  /** Times accepting was paused for lack of file descriptors. */
  readonly acceptPauses: number;
}

/** Publish requests refused, by HTTP status: incremented by the HTTP layer. */
export interface HubMetrics {
  readonly registry: Registry;
  /** Counts one refused request (4xx/5xx) of the hub endpoint. */
  refused(status: number): void;
}

/**
 * Creates a registry whose metrics read `stats()` at scrape time:
 * `ssehub_subscribers` (gauge), `ssehub_updates_published_total`,
 * `ssehub_updates_dispatched_total`, `ssehub_deliveries_total`,
 * `ssehub_bytes_written_total`, `ssehub_writes_total`,
 * `ssehub_disconnects_total{reason}`, `ssehub_history_size` and
 * `ssehub_history_bytes` (gauges), `ssehub_selectors_compiled` (gauge),
 * `ssehub_templates_tested_total`, `ssehub_transport_events_total{event}`
 * (the transport's counters: `malformedEntries`, …),
 * `ssehub_requests_refused_total{status}`, with `appendLatency` the histogram
 * `ssehub_transport_append_seconds`, plus the default process metrics.
 */
export function createHubMetrics(
  stats: () => HubStatsSnapshot,
  options: HubMetricsOptions = {},
): HubMetrics {
  const prefix = options.prefix ?? 'ssehub_';
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels({ ...options.labels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });

  const registers = [registry];
  new Gauge({
    name: `${prefix}subscribers`,
    help: 'Subscribers connected now.',
    registers,
    collect() {
      this.set(stats().subscribers);
    },
  });
  new Gauge({
    name: `${prefix}history_size`,
    help: 'Updates held in history now (0 when the transport cannot tell).',
    registers,
    collect() {
      this.set(stats().history?.count ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}history_bytes`,
    help: 'Bytes of the updates held in history now (0 when the transport cannot tell).',
    registers,
    collect() {
      this.set(stats().history?.bytes ?? 0);
    },
  });
  const totals: [string, string, (s: HubStatsSnapshot) => number][] = [
    [
      'updates_published_total',
      'Updates published on this hub since start.',
      (s) => s.updatesPublished,
    ],
    [
      'updates_dispatched_total',
      "Updates fanned out since start (with Redis, other processes' too).",
      (s) => s.updatesDispatched,
    ],
    [
      'deliveries_total',
      'Updates delivered to subscribers since start (one per update per subscriber).',
      (s) => s.deliveries,
    ],
    [
      'bytes_written_total',
      'Bytes written to subscriber streams since start.',
      (s) => s.bytesWritten,
    ],
    ['writes_total', 'Socket writes since start (one per subscriber per flush).', (s) => s.writes],
    [
      'templates_tested_total',
      'URI template selectors tested against a topic by fan-out since start.',
      (s) => s.selectors.templatesTested,
    ],
  ];
  new Gauge({
    name: `${prefix}selectors_compiled`,
    help: 'Distinct topic selectors compiled now (held by connected subscribers).',
    registers,
    collect() {
      this.set(stats().selectors.compiled);
    },
  });
  new Counter({
    name: `${prefix}transport_events_total`,
    help: "The transport's own events since start, by name (malformedEntries: stream entries skipped).",
    labelNames: ['event'],
    registers,
    collect() {
      this.reset();
      for (const [event, count] of Object.entries(stats().transport ?? {})) {
        this.inc({ event }, count);
      }
    },
  });
  for (const [name, help, read] of totals) {
    new Counter({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        // The hub's counter is the source of truth: mirror it.
        this.reset();
        this.inc(read(stats()));
      },
    });
  }
  new Counter({
    name: `${prefix}disconnects_total`,
    help: 'Subscriber disconnects since start, by reason.',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(stats().disconnects)) {
        this.inc({ reason }, count);
      }
    },
  });
  if (options.appendLatency !== undefined) {
    registry.registerMetric(
      mirroredHistogram(
        `${prefix}transport_append_seconds`,
        'Seconds from dispatch to stored (synced to disk with the file transport), queueing included: what a publisher waits for.',
        options.appendLatency,
      ),
    );
  }
  const network = options.network;
  if (network !== undefined) {
    new Gauge({
      name: `${prefix}connections`,
      help: 'Connections open now.',
      registers,
      collect() {
        this.set(network().open);
      },
    });
    new Counter({
      name: `${prefix}connections_refused_total`,
      help: 'Connections closed as soon as accepted, by the limit that refused them.',
      labelNames: ['limit'],
      registers,
      collect() {
        const stats = network();
        this.reset();
        this.inc({ limit: 'max-connections' }, stats.refusedTotal);
        this.inc({ limit: 'max-connections-per-address' }, stats.refusedPerAddress);
      },
    });
    const mirrored: [string, string, (n: NetworkStats) => number][] = [
      [
        'head_timeouts_total',
        'Connections answered 408 and closed for not sending a request head in time.',
        (n) => n.headTimeouts,
      ],
      [
        'accept_pauses_total',
        'Times accepting connections was paused for lack of file descriptors.',
        (n) => n.acceptPauses,
      ],
    ];
    for (const [name, help, read] of mirrored) {
      new Counter({
        name: `${prefix}${name}`,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(network()));
        },
      });
    }
  }
  const refused = new Counter({
    name: `${prefix}requests_refused_total`,
    help: 'Requests to the hub endpoint answered with an error, by status.',
    labelNames: ['status'],
    registers,
  });
  return {
    registry,
    refused(status) {
      refused.inc({ status: String(status) });
    },
  };
}

/**
 * A histogram whose buckets are kept elsewhere (cumulative, already in
 * Prometheus' shape) and read at scrape time: prom-client's `Histogram`
 * only counts its own `observe()` calls, so this is the registry's metric
 * interface (`get()`) implemented directly.
 */
function mirroredHistogram(name: string, help: string, read: () => TransportLatency): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const latency = read();
      const bucket = `${name}_bucket`;
      const values: {
        labels: Record<string, number | string>;
        value: number;
        metricName: string;
      }[] = latency.bounds.map((le, i) => ({
        labels: { le },
        value: latency.buckets[i] ?? 0,
        metricName: bucket,
      }));
      values.push(
        { labels: { le: '+Inf' }, value: latency.count, metricName: bucket },
        { labels: {}, value: latency.sumSeconds, metricName: `${name}_sum` },
        { labels: {}, value: latency.count, metricName: `${name}_count` },
      );
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
    reset() {
      // The transport owns the counts.
    },
  };
  // The registry reads any object with this shape (prom-client's own metric
  // classes are the only ones its types name).
  return metric as unknown as Metric;
}
