/**
 * The default transport: one process, history in memory.
 *
 * - `dispatch` stores the update, then calls the listeners synchronously, in
 *   order, before its promise settles: what a listener sees is already in
 *   history, and {@link Transport.livePosition} is exact at every moment.
 * - Positions: every dispatched update gets the next sequence number; its
 *   position is that number zero-padded to 16 digits (string order = number
 *   order, {@link Position}).
 * - History is bounded by count (`historySize`) and by bytes (`historyBytes`,
 *   {@link updateSize}); the oldest updates are evicted first. An update
 *   alone larger than `historyBytes` is delivered live but not kept (a replay
 *   passes over it).
 * - Ids may repeat (Mercure lets publishers reuse ids): `history` resolves an
 *   id to its earliest retained occurrence in O(1).
 * - Paging: a page starts after an id, after a position, or at the oldest
 *   update; a position whose successor was evicted meanwhile is
 *   `found: false` (the reader fell behind the history).
 */
import { SseError } from '../protocol/sse-error.js';
import {
  updateSize,
  type HistoryPage,
  type HistoryQuery,
  type Position,
  type Transport,
  type TransportHistoryStats,
  type TransportListener,
  type Update,
} from './types.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /**
   * Most updates kept for replay (`Last-Event-ID`). `0` keeps none: every
   * `Last-Event-ID` but `earliest` is then unknown.
   *
   * @default 1000
   */
  historySize?: number | undefined;
  /**
   * Most bytes of updates kept for replay (data, id, type and topics, as
   * `updateSize` counts them).
   *
   * @default 16777216 (16 MiB)
   */
  historyBytes?: number | undefined;
}

/** Default for {@link MemoryTransportOptions.historySize}. */
export const DEFAULT_HISTORY_SIZE = 1000;
/** Default for {@link MemoryTransportOptions.historyBytes}. */
export const DEFAULT_HISTORY_BYTES = 16 * 1024 * 1024;

const POSITION_WIDTH = 16;

function position(seq: number): Position {
  return String(seq).padStart(POSITION_WIDTH, '0');
}

function sequence(value: Position): number {
  return Number(value);
}

function checkCount(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"${name}" must be a non-negative integer, got ${typeof value === 'number' ? value : typeof value}`,
      { field: name },
    );
  }
  return value;
}

interface Entry {
  readonly seq: number;
  readonly update: Update;
  readonly size: number;
}

class MemoryTransport implements Transport {
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** Retained entries, oldest first, from `#head` on (the prefix is dropped in batches). */
  #entries: Entry[] = [];
  #head = 0;
  /** Id → sequence number of its earliest retained occurrence. */
  readonly #seqById = new Map<string, number>();
  /** Id → later retained occurrences, oldest first (only for reused ids). */
  readonly #laterSeqs = new Map<string, number[]>();
  /** Sequence number of the last dispatched update (-1: none yet). */
  #last = -1;
  /** Sequence number of the newest evicted entry (-1: none evicted). */
  #evictedThrough = -1;
  #bytes = 0;
  #listeners: TransportListener[] = [];
  #closed = false;

  constructor(capacity: number, maxBytes: number) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  dispatch(update: Update): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', 'The memory transport is closed.'),
      );
    }
    const seq = ++this.#last;
    this.#store(seq, update);
    const at = position(seq);
    for (const listener of this.#listeners) listener(update, at);
    return Promise.resolve();
  }

  #store(seq: number, update: Update): void {
    const size = updateSize(update);
    if (this.#capacity === 0 || size > this.#maxBytes) return;
    while (this.#count() >= this.#capacity || this.#bytes + size > this.#maxBytes) {
      this.#evictOldest();
    }
    this.#entries.push({ seq, update, size });
    this.#bytes += size;
    const earliest = this.#seqById.get(update.id);
    if (earliest === undefined) {
      this.#seqById.set(update.id, seq);
    } else {
      const later = this.#laterSeqs.get(update.id);
      if (later === undefined) this.#laterSeqs.set(update.id, [seq]);
      else later.push(seq);
    }
  }

  #count(): number {
    return this.#entries.length - this.#head;
  }

  #evictOldest(): void {
    const entry = this.#entries[this.#head];
    if (entry === undefined) return;
    this.#head++;
    this.#bytes -= entry.size;
    this.#evictedThrough = entry.seq;
    const id = entry.update.id;
    if (this.#seqById.get(id) === entry.seq) {
      const later = this.#laterSeqs.get(id);
      const next = later?.shift();
      if (next === undefined) this.#seqById.delete(id);
      else this.#seqById.set(id, next);
      if (later?.length === 0) this.#laterSeqs.delete(id);
    }
    // Drop the evicted prefix in batches: amortized O(1) per eviction.
    if (this.#head >= 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Index of the first retained entry with a sequence number above `seq`. */
  #indexAfter(seq: number): number {
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#entries[mid] as Entry).seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  subscribe(listener: TransportListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  livePosition(): Position {
    return position(this.#last);
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    const { after } = query;
    let from: number;
    let afterPosition: Position | undefined;
    let afterUpdate: Update | undefined;
    if (after === 'earliest') {
      from = this.#head;
    } else if ('id' in after) {
      const seq = this.#seqById.get(after.id);
      if (seq === undefined) return Promise.resolve({ found: false, updates: [], next: undefined });
      from = this.#indexAfter(seq);
      afterPosition = position(seq);
      afterUpdate = this.#entries[from - 1]?.update;
    } else {
      const seq = sequence(after.position);
      // The update right after `seq` was evicted: the reader fell behind.
      if (seq < this.#evictedThrough) {
        return Promise.resolve({ found: false, updates: [], next: undefined });
      }
      from = this.#indexAfter(seq);
    }
    const upTo = query.upTo === undefined ? Infinity : sequence(query.upTo);
    const limit = Math.max(1, query.limit);
    const updates: Update[] = [];
    let bytes = 0;
    let lastSeq: number | undefined;
    let index = from;
    for (; index < this.#entries.length; index++) {
      const entry = this.#entries[index] as Entry;
      if (entry.seq > upTo) break;
      if (updates.length >= limit || (updates.length > 0 && bytes + entry.size > query.maxBytes)) {
        break;
      }
      updates.push(entry.update);
      bytes += entry.size;
      lastSeq = entry.seq;
    }
    const more = index < this.#entries.length && (this.#entries[index] as Entry).seq <= upTo;
    return Promise.resolve({
      found: true,
      updates,
      next: more && lastSeq !== undefined ? position(lastSeq) : undefined,
      afterPosition,
      afterUpdate,
    });
  }

  lastEventId(): Promise<string | undefined> {
    return Promise.resolve(this.#count() === 0 ? undefined : this.#entries.at(-1)?.update.id);
  }

  historyStats(): TransportHistoryStats {
    return { count: this.#count(), bytes: this.#bytes };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners = [];
    this.#entries = [];
    this.#head = 0;
    this.#seqById.clear();
    this.#laterSeqs.clear();
    this.#bytes = 0;
    return Promise.resolve();
  }
}

/**
 * Creates the in-memory transport (the hub's default).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` for a negative or fractional bound.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  return new MemoryTransport(
    checkCount('historySize', options.historySize, DEFAULT_HISTORY_SIZE),
    checkCount('historyBytes', options.historyBytes, DEFAULT_HISTORY_BYTES),
  );
}
