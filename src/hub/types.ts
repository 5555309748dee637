/**
 * The hub's public types: what is published, what subscribers get, and the
 * one seam to storage and delivery, the {@link Transport}.
 *
 * Vocabulary follows the Mercure protocol: an update has one or more topics
 * (IRIs or plain strings); a subscriber asks for topic selectors (an exact
 * topic, `*`, or an RFC 6570 URI template); a private update reaches only
 * subscribers whose authorization (`mercure.subscribe` selectors) matches one
 * of its topics.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md
 */
import type { SubscriptionRegistry, SubscriptionRegistryOptions } from './subscription-registry.js';

/** One update, as stored in history and delivered to subscribers. Immutable. */
export interface Update {
  /** Unique id (generated `urn:uuid:…` when the publisher gave none). */
  readonly id: string;
  /** At least one topic; the first is the canonical one. */
  readonly topics: readonly string[];
  /** The payload (may be empty or multi-line). */
  readonly data: string;
  /** SSE event type, when not the default `message`. */
  readonly type: string | undefined;
  /** Reconnection time to send with it, in ms. */
  readonly retry: number | undefined;
  /** Delivered only to subscribers authorized for one of its topics. */
  readonly private: boolean;
}

/** What `hub.publish()` takes. */
export interface PublishInput {
  /** One topic or several; at least one non-empty string. */
  topics: string | readonly string[];
  /** @default '' */
  data?: string | undefined;
  /** Publisher-chosen id; must be unique. @default a generated `urn:uuid:…` */
  id?: string | undefined;
  type?: string | undefined;
  retry?: number | undefined;
  /** @default false */
  private?: boolean | undefined;
}

/**
 * A subscriber's authorization, as carried by the `mercure` claim of its JWT:
 * the topic selectors it may receive private updates for. `undefined` claims
 * mean an anonymous subscriber (public updates only).
 */
export interface SubscriberClaims {
  /** Topic selectors (exact, `*`, URI template) for private updates. */
  readonly subscribe?: readonly string[] | undefined;
  /** Free-form data about the subscriber (Mercure `mercure.payload`). */
  readonly payload?: unknown;
  /**
   * The payload of one subscription, by its selector, when it depends on the
   * selector (Mercure 1.0: the first `subscribe` authorization detail matching
   * the subscription's matcher). Shown by active subscriptions.
   *
   * @default () => payload
   */
  readonly payloadFor?: ((selector: string) => unknown) | undefined;
}

/** What `hub.subscribe()` takes. */
export interface SubscribeInput {
  /** Topic selectors: exact topics, `*`, URI templates. At least one. */
  topics: readonly string[];
  /**
   * Resume after this update id: every matching update published after it is
   * delivered first, then live ones, with no gap and no duplicate. `earliest`
   * replays the whole history.
   */
  lastEventId?: string | undefined;
  claims?: SubscriberClaims | undefined;
}

/**
 * Where an update sits in a transport's single order: an opaque string.
 *
 * Contract: the positions one transport hands out grow strictly in delivery
 * order and compare with plain string comparison (`a < b`: `a` came first),
 * so they are fixed-width or otherwise ordered as strings (the memory
 * transport: a zero-padded sequence number; Redis: a padded stream entry id).
 * Positions of different transports are unrelated.
 */
export type Position = string;

/** The hub's single live listener: each update with its position, in order. */
export type TransportListener = (update: Update, position: Position) => void;

/** What {@link Transport.history} reads: one bounded page. */
export interface HistoryQuery {
  /**
   * Where the page starts, exclusive: after the EARLIEST retained update
   * with this id (ids may repeat: [spec] the hub resolves a reused id to its
   * earliest occurrence), after a position returned by an earlier page, or
   * from the oldest retained update (`'earliest'`).
   */
  readonly after: { readonly id: string } | { readonly position: Position } | 'earliest';
  /**
   * The last position to include: a value of {@link Transport.livePosition}
   * taken when the subscriber was registered. Updates after it reach the
   * subscriber through the listener instead, so replay and live delivery
   * meet without a gap or an overlap. Omitted: up to the newest update
   * stored (tools and tests; the hub always bounds it).
   */
  readonly upTo?: Position | undefined;
  /** Most updates in the page (at least 1). */
  readonly limit: number;
  /**
   * Most bytes in the page (as {@link updateSize} counts them); the first
   * update is returned even when it alone is larger.
   */
  readonly maxBytes: number;
}

/** One page of history, oldest first. */
export interface HistoryPage {
  /**
   * `false` when the id (or position) of `after` is not, or no longer, in
   * history: unknown, trimmed, or never stored. Then `updates` is empty.
   */
  readonly found: boolean;
  readonly updates: readonly Update[];
  /**
   * Where the next page starts (the position of this page's last update),
   * or `undefined` when this page reached `upTo`: the replay is complete.
   */
  readonly next: Position | undefined;
  /**
   * For `after: { id }` when found: the position of that update. When it is
   * after `upTo` (the update was stored but this process has not delivered it
   * live yet), the hub skips live updates up to it: the client has them.
   */
  readonly afterPosition?: Position | undefined;
  /**
   * For `after: { id }` when found: that update itself, so the hub can
   * answer an id the subscriber may not see (a private update) exactly like
   * an unknown id.
   */
  readonly afterUpdate?: Update | undefined;
}

/**
 * The seam between the hub and where updates travel and history lives. The
 * hub calls it once per update (never per subscriber). Implementations:
 * the memory transport (default, one process, in `hub/`), and the ones in
 * `transports/` (a durable store on one machine, `file`; Redis Streams,
 * many processes).
 *
 * Ids: a transport stores what it is given, reused ids included; a
 * `history({ after: { id } })` resolves an id to its earliest retained
 * occurrence.
 */
export interface Transport {
  /**
   * Stores the update in history and delivers it to every listener, in
   * order. Rejects when it could not be stored (nothing was acknowledged).
   */
  dispatch(update: Update): Promise<void>;
  /** Registers a listener for live updates; returns the unsubscribe function. */
  subscribe(listener: TransportListener): () => void;
  /**
   * The position of the last update handed to the listeners (or where live
   * delivery starts, before any). Synchronous: the hub reads it while it
   * registers a subscriber, so that "in history up to here" and "live from
   * here on" split the stream exactly.
   */
  livePosition(): Position;
  /** One page of history; see {@link HistoryQuery}. */
  history(query: HistoryQuery): Promise<HistoryPage>;
  /** The id of the most recent update in history, or undefined when empty. */
  lastEventId(): Promise<string | undefined>;
  close(): Promise<void>;
  /**
   * Optional: how much history is held right now, for metrics. Cheap and
   * synchronous (no I/O); a transport that cannot tell leaves it out.
   */
  historyStats?(): TransportHistoryStats;
  /**
   * Optional: whether the transport can store and deliver updates right now
   * (its backing service is reachable), for `/healthz`. Cheap and
   * synchronous; a transport without a remote part leaves it out (always
   * reachable).
   */
  reachable?(): boolean;
  /**
   * Optional: the transport's own event counters (entries skipped as
   * malformed, …), by name, for metrics (`ssehub_transport_events_total{event}`).
   * Cheap and synchronous.
   */
  counters?(): Readonly<Record<string, number>>;
  /**
   * Optional: how long stores took, as a cumulative histogram, for metrics
   * (`ssehub_transport_append_seconds`): from `dispatch()` called to the
   * update stored (durably, for a durable transport), queueing included:
   * the wait a publisher sees before its answer. Cheap and synchronous (the
   * transport keeps the counts; no I/O); a transport that does not measure
   * it leaves it out.
   */
  appendLatency?(): TransportLatency;
  /**
   * Optional: a list of active subscriptions shared by every process on this
   * transport (Redis), for a hub with `subscriptions` on. A transport that
   * serves one process leaves it out: the hub keeps the list in memory.
   */
  subscriptionRegistry?(options: SubscriptionRegistryOptions): SubscriptionRegistry;
}

/**
 * What {@link Transport.appendLatency} reports: a cumulative histogram, in
 * Prometheus' shape, since the transport was created.
 */
export interface TransportLatency {
  /** Upper bounds of the buckets, in seconds, ascending (`+Inf` is implied: it is `count`). */
  readonly bounds: readonly number[];
  /** Observations at most each bound (cumulative), one per bound. */
  readonly buckets: readonly number[];
  /** Observations in all. */
  readonly count: number;
  /** Their sum, in seconds. */
  readonly sumSeconds: number;
}

/** What {@link Transport.historyStats} reports. */
export interface TransportHistoryStats {
  /** Updates held in history. */
  readonly count: number;
  /** Their approximate size in bytes (see {@link updateSize}). */
  readonly bytes: number;
  /**
   * Optional: bytes the store takes on disk (a durable transport), as last
   * measured (refreshed in the background, at most once a second).
   */
  readonly diskBytes?: number | undefined;
}

/**
 * Approximate bytes an update holds in history: data as UTF-8, id, type and
 * topics as UTF-16 code units. Every transport bounds history with it.
 */
export function updateSize(update: Update): number {
  let size = Buffer.byteLength(update.data, 'utf8') + update.id.length;
  if (update.type !== undefined) size += update.type.length;
  for (const topic of update.topics) size += topic.length;
  return size;
}
