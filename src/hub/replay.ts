/**
 * Replay: a subscriber that resumes with a last event ID gets the history
 * after it, then the live updates, with no gap and no duplicate, while the
 * memory it costs stays bounded whatever the size of the history.
 *
 * How replay and live delivery meet ([spec] Reconciliation): the hub
 * registers the subscriber and reads {@link Transport.livePosition} in the
 * same synchronous step. Every update up to that position is history, read
 * page by page; every later one reaches the subscriber live and is held
 * until the replay is done. No id comparison is needed, so reused ids are
 * fine.
 *
 * Bounded: a page holds at most {@link PAGE_UPDATES} updates and
 * {@link PAGE_BYTES} bytes; the next page is read only once the subscriber
 * has room ({@link Subscriber.hasRoom}: its consumer took most of what it
 * was given). Live updates held meanwhile count against the slow-consumer
 * limit. A subscriber that never reads therefore holds at most one page,
 * its held updates and its socket buffer; history is never copied whole.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md (Reconciliation)
 */
import { isSseError } from '../protocol/sse-error.js';
import { EARLIEST } from './create-update.js';
import { hubError } from './errors.js';
import type { Subscriber } from './subscriber.js';
import type { HistoryPage, HistoryQuery, Position, Transport, Update } from './types.js';

/** Most updates in one page of replay. */
export const PAGE_UPDATES = 1000;
/** Most bytes in one page of replay (one larger update still goes alone). */
export const PAGE_BYTES = 256 * 1024;
/** How often subscribers waiting for room are looked at again, in ms. */
const ROOM_POLL_MS = 10;

/** What the replay needs from the hub. */
export interface ReplayHost {
  readonly transport: Transport;
  /** May `subscriber` get `update` (topics and private authorization)? */
  matches(subscriber: Subscriber, update: Update): boolean;
  /** May `subscriber` see `update` at all (a private one: authorization)? */
  mayReceive(subscriber: Subscriber, update: Update): boolean;
  /** The update's shared frame (encoded once). */
  frameOf(update: Update): Buffer;
  /** Counts deliveries for the stats. */
  delivered(count: number): void;
  /** Cuts a subscriber off (history moved past it, or could not be read). */
  cut(subscriber: Subscriber, reason: 'slow-consumer' | 'error'): void;
}

/** Where a started replay goes on from: its first page and its bound. */
export interface ReplayStart {
  readonly page: HistoryPage;
  readonly upTo: Position;
}

/** A page query with the replay's bounds. */
export function pageQuery(after: HistoryQuery['after'], upTo: Position): HistoryQuery {
  return { after, upTo, limit: PAGE_UPDATES, maxBytes: PAGE_BYTES };
}

/**
 * Waits, without a timer per subscriber, until subscribers have room: once
 * after the current turn (the hub's flush runs then, and a socket that keeps
 * up empties at once), then on one shared timer.
 */
export class RoomWaiter {
  readonly #waiting = new Map<Subscriber, () => void>();
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #check = (): void => {
    this.#immediate = undefined;
    this.#timer = undefined;
    for (const [subscriber, resume] of this.#waiting) {
      if (subscriber.closed || subscriber.hasRoom()) {
        this.#waiting.delete(subscriber);
        resume();
      }
    }
    if (this.#waiting.size > 0) this.#timer = setTimeout(this.#check, ROOM_POLL_MS);
  };

  /** Resolves once `subscriber` has room or is closed. */
  wait(subscriber: Subscriber): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.set(subscriber, resolve);
      if (this.#immediate === undefined && this.#timer === undefined) {
        this.#immediate = setImmediate(this.#check);
      }
    });
  }

  /** Releases every waiter (the hub is closing). */
  close(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#immediate = undefined;
    this.#timer = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const resume of waiting) resume();
  }
}

/**
 * Resolves `lastEventId` ([spec] Reconciliation) and reads the first page
 * of the replay: every update after it up to `upTo`, or the whole history
 * for `earliest`. An unknown id, or the id of an update this subscriber may
 * not see (a private one), replays nothing and resolves to `earliest`: both
 * answers look the same, so ids of private updates cannot be probed.
 *
 * @returns what the subscriber resumes after (the `Last-Event-ID` response
 * header; `undefined` without a last event ID), and the replay to run.
 * @throws {SseError} `SSE_ERR_TRANSPORT_UNAVAILABLE` when history could not be read.
 */
export async function beginReplay(
  host: ReplayHost,
  subscriber: Subscriber,
  lastEventId: string | undefined,
  upTo: Position,
): Promise<{ lastEventId: string | undefined; start: ReplayStart | undefined }> {
  if (lastEventId === undefined || lastEventId === '') {
    return { lastEventId: undefined, start: undefined };
  }
  const earliest = lastEventId === EARLIEST;
  let page;
  try {
    page = await host.transport.history(
      pageQuery(earliest ? 'earliest' : { id: lastEventId }, upTo),
    );
  } catch (error) {
    throw isSseError(error)
      ? error
      : hubError('SSE_ERR_TRANSPORT_UNAVAILABLE', 'The history could not be read.', {
          cause: error,
        });
  }
  const hidden = page.afterUpdate !== undefined && !host.mayReceive(subscriber, page.afterUpdate);
  if (!page.found || hidden) return { lastEventId: EARLIEST, start: undefined };
  const after = page.afterPosition;
  if (after !== undefined && after > upTo) subscriber.skipThrough = after;
  return { lastEventId: earliest ? EARLIEST : lastEventId, start: { page, upTo } };
}

/**
 * Delivers the replay page by page, then the held live updates, then
 * switches the subscriber to live delivery. Never rejects: a failure cuts
 * the subscriber off (its client reconnects and resumes).
 */
export async function runReplay(
  host: ReplayHost,
  room: RoomWaiter,
  subscriber: Subscriber,
  start: ReplayStart | undefined,
): Promise<void> {
  let page = start?.page;
  while (page !== undefined) {
    if (subscriber.closed) return;
    deliverPage(host, subscriber, page.updates);
    const next = page.next;
    if (next === undefined || start === undefined) break;
    await room.wait(subscriber);
    if (isClosed(subscriber)) return;
    try {
      page = await host.transport.history(pageQuery({ position: next }, start.upTo));
    } catch {
      host.cut(subscriber, 'error');
      return;
    }
    if (!page.found) {
      // The history was trimmed past this subscriber while it read: it is
      // too slow for this hub's history; it resumes from its last id.
      host.cut(subscriber, 'slow-consumer');
      return;
    }
  }
  goLive(host, subscriber);
}

/** Read through a call: the subscriber may have closed during an await. */
function isClosed(subscriber: Subscriber): boolean {
  return subscriber.closed;
}

function deliverPage(host: ReplayHost, subscriber: Subscriber, updates: readonly Update[]): void {
  let delivered = 0;
  subscriber.replaying = true;
  for (const update of updates) {
    if (!host.matches(subscriber, update)) continue;
    subscriber.deliver(update, host.frameOf(update));
    delivered++;
    if (subscriber.closed) break;
  }
  subscriber.replaying = false;
  host.delivered(delivered);
}

/** Delivers the live updates held during the replay, then goes live. */
function goLive(host: ReplayHost, subscriber: Subscriber): void {
  const held = subscriber.held ?? [];
  subscriber.held = undefined;
  subscriber.heldBytes = 0;
  if (subscriber.closed) return;
  let delivered = 0;
  for (const { update, position } of held) {
    const skip = subscriber.skipThrough;
    if (skip !== undefined) {
      if (position <= skip) continue;
      subscriber.skipThrough = undefined;
    }
    subscriber.deliver(update, host.frameOf(update));
    delivered++;
  }
  host.delivered(delivered);
}
