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
 * The seam between the hub and where updates travel and history lives. The
 * hub calls it once per update (never per subscriber). Implementations:
 * `memory` (default, one process) and `redis` (Redis Streams, many processes).
 */
export interface Transport {
  /** Stores the update in history and delivers it to every `subscribe` listener, in order. Rejects when it could not be stored (nothing was acknowledged). */
  dispatch(update: Update): Promise<void>;
  /** Registers the hub's single listener for live updates; returns the unsubscribe function. */
  subscribe(listener: (update: Update) => void): () => void;
  /**
   * Updates stored after `afterId` (exclusive), oldest first; `'earliest'`
   * means the whole history. `found: false` when `afterId` is not (or no
   * longer) in history; then `updates` is empty.
   */
  history(afterId: string): Promise<{ found: boolean; updates: Update[] }>;
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
}

/** What {@link Transport.historyStats} reports. */
export interface TransportHistoryStats {
  /** Updates held in history. */
  readonly count: number;
  /** Their approximate size in bytes (data, id, type and topics). */
  readonly bytes: number;
}
