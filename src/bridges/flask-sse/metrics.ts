/**
 * Prometheus metrics of a flask-sse bridge, read from its counters at scrape
 * time (the bridge's hot path pays nothing):
 *
 * - `ssehub_flask_sse_messages_total{outcome}`: messages received, by
 *   outcome: `published`, `empty` (`data` `""`: nothing to dispatch),
 *   `malformed`, `failed` (the hub could not store it);
 * - `ssehub_flask_sse_malformed_total{channel,reason}`: skipped messages.
 *   Bounded cardinality: at most `maxChannelLabels` channels (100) plus
 *   `(other)`, times the six reasons of `MalformedReason`;
 * - `ssehub_flask_sse_connected`: 1 while the Redis connection is up;
 * - `ssehub_flask_sse_reconnects_total`: connections re-established after a loss.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FlaskSseBridgeStats } from './bridge.js';

/** Registers the bridge's metrics on `registry` (e.g. the hub server's `registry`). */
export function registerFlaskSseMetrics(
  registry: Registry,
  stats: () => FlaskSseBridgeStats,
  prefix = 'ssehub_',
): void {
  const registers = [registry];
  new Counter({
    name: `${prefix}flask_sse_messages_total`,
    help: 'flask-sse messages received from Redis pub/sub, by outcome.',
    labelNames: ['outcome'],
    registers,
    collect() {
      const s = stats();
      this.reset();
      this.inc({ outcome: 'published' }, s.published);
      this.inc({ outcome: 'empty' }, s.empty);
      this.inc({ outcome: 'malformed' }, s.malformed);
      this.inc({ outcome: 'failed' }, s.failed);
    },
  });
  new Counter({
    name: `${prefix}flask_sse_malformed_total`,
    help: 'flask-sse messages skipped as malformed, by channel (the first 100 channels; then "(other)") and reason.',
    labelNames: ['channel', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const [channel, reasons] of stats().malformedByChannel) {
        for (const [reason, count] of Object.entries(reasons)) {
          this.inc({ channel, reason }, count);
        }
      }
    },
  });
  new Gauge({
    name: `${prefix}flask_sse_connected`,
    help: "1 while the flask-sse bridge's Redis connection is up, else 0.",
    registers,
    collect() {
      this.set(stats().connected ? 1 : 0);
    },
  });
  new Counter({
    name: `${prefix}flask_sse_reconnects_total`,
    help: "Times the flask-sse bridge's Redis connection was re-established after a loss.",
    registers,
    collect() {
      this.reset();
      this.inc(stats().reconnects);
    },
  });
}
