/** The hub's counters: what `hub.stats` reports, and the mutable form the hub keeps. */
import type { DisconnectReason } from './subscriber.js';

/** Counters for metrics (the standalone server exports them to Prometheus). Read-only snapshot. */
export interface HubStats {
  /** Subscribers connected now (HTTP and in-process). */
  readonly subscribers: number;
  /** Updates accepted by `publish()` on this hub. */
  readonly updatesPublished: number;
  /** Updates received from the transport and fanned out (includes other processes' with Redis). */
  readonly updatesDispatched: number;
  /** Update × subscriber deliveries, replays included. */
  readonly deliveries: number;
  /** Socket writes (one per subscriber per flush, however many frames). */
  readonly writes: number;
  /** Bytes handed to streams. */
  readonly bytesWritten: number;
  /** Subscribers gone, by reason. */
  readonly disconnects: Readonly<Record<DisconnectReason, number>>;
  /** Updates and bytes in history, when the transport can tell. */
  readonly history: { readonly count: number; readonly bytes: number } | undefined;
  /**
   * Topic selectors: distinct ones compiled now (held by connected
   * subscribers, subscription and authorization selectors alike), and URI
   * templates tested against a topic since start (fan-out tests only the
   * templates whose literal prefix the topic starts with).
   */
  readonly selectors: { readonly compiled: number; readonly templatesTested: number };
  /** The transport's own event counters (`Transport.counters`), when it has any. */
  readonly transport: Readonly<Record<string, number>> | undefined;
}

export interface MutableStats {
  updatesPublished: number;
  updatesDispatched: number;
  deliveries: number;
  writes: number;
  bytesWritten: number;
  disconnects: Record<DisconnectReason, number>;
}
