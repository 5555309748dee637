/**
 * An in-process subscription: the hub's updates as an async iterator.
 *
 * ```ts
 * const sub = hub.subscribe({ topics: ['https://example.com/books/{id}'] });
 * for await (const update of sub) console.log(update.id, update.data);
 * ```
 *
 * Bounded: updates the consumer has not read yet are queued up to the hub's
 * `maxBufferedBytes` (counted as encoded frame bytes). A consumer that falls
 * further behind is cut off: it still gets what was queued, then `next()`
 * rejects with an `SseError` coded `SSE_ERR_SLOW_CONSUMER`; subscribe again
 * with `lastEventId` set to the last id you saw to resume from history.
 */
import { SseError } from '../protocol/sse-error.js';
import { Subscriber, type DisconnectReason } from './subscriber.js';
import type { SubscriberClaims, Update } from './types.js';

/** What {@link Subscription.ready} resolves to. */
export interface SubscriptionReady {
  /**
   * What an HTTP subscriber would get as its `Last-Event-ID` response header:
   * the requested id when it was found in history, `earliest` when it was
   * not (or `earliest` was asked, or history is empty); `undefined` when no
   * `lastEventId` was given.
   */
  readonly lastEventId: string | undefined;
}

/** How a subscription leaves the hub's index (the hub passes it in). */
export type SubscriptionRemover = (subscriber: Subscriber, reason: DisconnectReason) => void;

type Waiter = (result: IteratorResult<Update>) => void;

export class Subscription extends Subscriber implements AsyncIterableIterator<Update> {
  /**
   * Resolves once the subscription is registered and its replay has started
   * (what `lastEventId` resolved to is known); rejects if history failed.
   * The replay is then delivered page by page as the consumer reads.
   */
  readonly ready: Promise<SubscriptionReady>;
  #resolveReady!: (ready: SubscriptionReady) => void;
  #rejectReady!: (error: unknown) => void;
  readonly #remove: SubscriptionRemover;
  readonly #maxBytes: number;
  #queue: Update[] = [];
  /** Frame bytes of each queued update, in step with `#queue`. */
  #sizes: number[] = [];
  #head = 0;
  #queuedBytes = 0;
  /** Replay bytes still queued: allowed on top of `maxBytes`. */
  #allowance = 0;
  #waiter: Waiter | undefined;
  #failWaiter: ((error: unknown) => void) | undefined;
  #error: unknown;
  #ended = false;

  constructor(
    selectors: readonly string[],
    claims: SubscriberClaims | undefined,
    maxBytes: number,
    remove: SubscriptionRemover,
  ) {
    super(selectors, claims);
    this.#maxBytes = maxBytes;
    this.#remove = remove;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that only iterates must not see an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** For the hub: the replay started. */
  markReady(ready: SubscriptionReady): void {
    this.#resolveReady(ready);
  }

  /** For the hub: the subscription failed (history unavailable, hub closed). */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#rejectReady(error);
    this.#error = error;
    this.end('error');
  }

  deliver(update: Update, frame: Buffer): void {
    if (this.closed) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      waiter({ value: update, done: false });
      return;
    }
    if (this.replaying) {
      // A replay may exceed the bound (history bounds it); only what queues
      // up beyond it counts against the consumer.
      this.#allowance += frame.length;
    } else if (
      this.#queuedBytes + frame.length > this.#maxBytes + this.#allowance &&
      this.#queue.length > this.#head
    ) {
      this.end('slow-consumer');
      return;
    }
    this.#queue.push(update);
    this.#sizes.push(frame.length);
    this.#queuedBytes += frame.length;
  }

  hasRoom(): boolean {
    return this.#queuedBytes < this.#maxBytes / 2;
  }

  end(reason: DisconnectReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.closed = true;
    if (reason === 'slow-consumer') {
      this.#error ??= new SseError(
        'SSE_ERR_SLOW_CONSUMER',
        `The subscription fell more than maxBufferedBytes (${this.#maxBytes}) behind and was cut off; subscribe again with lastEventId to resume.`,
      );
    }
    // Settles `ready` for a subscription ended before it caught up.
    this.#resolveReady({ lastEventId: undefined });
    this.#remove(this, reason);
    this.#wake();
  }

  /** Stops the subscription; pending `next()` calls resolve as done. Idempotent. */
  close(): void {
    this.end('server');
    this.#queue = [];
    this.#sizes = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  next(): Promise<IteratorResult<Update>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head] as Update;
      const size = this.#sizes[this.#head] ?? 0;
      this.#queuedBytes -= size;
      this.#allowance = Math.max(0, this.#allowance - size);
      this.#head++;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#sizes = [];
        this.#head = 0;
        this.#queuedBytes = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
        // A consumer that always lags a little: drop what it has read.
        this.#queue = this.#queue.slice(this.#head);
        this.#sizes = this.#sizes.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an SseError, or the transport's error as is
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  /** Called by `break` in `for await`: closes the subscription. */
  return(): Promise<IteratorResult<Update>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #wake(): void {
    const waiter = this.#waiter;
    const fail = this.#failWaiter;
    this.#waiter = undefined;
    this.#failWaiter = undefined;
    if (waiter === undefined) return;
    if (this.#error !== undefined) fail?.(this.#error);
    else waiter({ value: undefined, done: true });
  }
}
