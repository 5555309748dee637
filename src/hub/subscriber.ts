/**
 * A subscriber as the hub's fan-out sees it: its selectors, its private
 * authorization, and where its updates go. Two kinds extend it: an HTTP
 * stream ({@link StreamSubscriber}) and an in-process async iterator
 * (`Subscription`).
 *
 * Memory shape (100,000 idle subscribers is a measured case): one object with
 * a few fields; no timer, no per-update closure. The only closure is the
 * stream's close listener, made once per connection.
 */
import type { SseStream } from '../response/sse-stream.js';
import type { FlushQueue } from './flush-queue.js';
import type { Position, SubscriberClaims, Update } from './types.js';

/** Why a subscriber left: the stream close reasons, plus `'hub'` when the hub closed. */
export type DisconnectReason = 'client' | 'server' | 'slow-consumer' | 'error' | 'hub';

export abstract class Subscriber {
  /** Distinct topic selectors, as given. */
  readonly selectors: readonly string[];
  /** `mercure.subscribe` selectors; `undefined` when anonymous (public updates only). */
  readonly privateSelectors: readonly string[] | undefined;
  readonly claims: SubscriberClaims | undefined;
  /** Hub sequence number of the last update offered: dedupes a subscriber hit by several selectors. */
  lastSeq = -1;
  /**
   * While the replay runs: the live updates that arrived meanwhile (each
   * with its position), in order, delivered after the replay. `undefined`
   * once live.
   */
  held: { update: Update; position: Position }[] | undefined = [];
  heldBytes = 0;
  /**
   * Live updates at or before this position are skipped: the client resumed
   * after an update this process had not delivered live yet (another process
   * stored it), so it already has them.
   */
  skipThrough: Position | undefined;
  /** Set by the hub while it delivers a replay page (bounded by pages, not by the live limit). */
  replaying = false;
  closed = false;

  constructor(selectors: readonly string[], claims: SubscriberClaims | undefined) {
    this.selectors = [...new Set(selectors)];
    this.claims = claims;
    const allowed = claims?.subscribe;
    this.privateSelectors = Array.isArray(allowed)
      ? allowed.filter((s): s is string => typeof s === 'string' && s !== '')
      : undefined;
  }

  /** Takes one live (or replayed) update and its shared frame. */
  abstract deliver(update: Update, frame: Buffer): void;

  /**
   * Replay backpressure: may the hub hand over the next page of history
   * now? (The consumer has taken most of what it was given.)
   */
  abstract hasRoom(): boolean;

  /**
   * Releases what the subscriber holds (closes its stream, finishes its
   * iterator). Idempotent. The hub unindexes it first (`closed` is already
   * set then), so this must not skip work because `closed` is true.
   */
  abstract end(reason: DisconnectReason): void;
}

/**
 * An HTTP subscriber: frames go to an {@link SseStream} through the hub's
 * {@link FlushQueue}, which coalesces them into one write per flush.
 */
export class StreamSubscriber extends Subscriber {
  /** Set by `attach`; frames wait in `pending` until then. */
  stream: SseStream | undefined;
  /** Frames not yet written: one shared frame, or several in order. */
  pending: Buffer | Buffer[] | undefined;
  pendingBytes = 0;
  /** In the flush queue's dirty list. */
  dirty = false;
  readonly queue: FlushQueue;
  readonly #lowWater: number;

  constructor(
    selectors: readonly string[],
    claims: SubscriberClaims | undefined,
    queue: FlushQueue,
    maxBufferedBytes: number,
  ) {
    super(selectors, claims);
    this.queue = queue;
    this.#lowWater = maxBufferedBytes / 2;
  }

  deliver(_update: Update, frame: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) this.pending = frame;
    else if (Array.isArray(pending)) pending.push(frame);
    else this.pending = [pending, frame];
    this.pendingBytes += frame.length;
    if (!this.dirty) this.queue.markDirty(this);
  }

  hasRoom(): boolean {
    const stream = this.stream;
    return stream !== undefined && this.pendingBytes + stream.bufferedBytes < this.#lowWater;
  }

  end(): void {
    this.closed = true;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.stream?.close();
  }
}
