/**
 * The default transport: one process, history in a ring buffer.
 *
 * - `dispatch` stores the update, then calls the listeners synchronously, in
 *   order, before its promise settles: what a listener sees is already in
 *   history (the hub's replay relies on it to close the gap between "fetch
 *   history" and "go live").
 * - History is bounded by count (`historySize`) and by bytes (`historyBytes`);
 *   the oldest updates are evicted first. An update alone larger than
 *   `historyBytes` is delivered live but not kept.
 * - `history(afterId)` finds `afterId` in O(1) (a Map from id to sequence
 *   number) and copies the updates after it.
 * - Ids are unique within the retained history: dispatching an id that is
 *   still held rejects with `SSE_ERR_INVALID_FIELD` (field `id`) and stores
 *   nothing, because two updates with one id would make `Last-Event-ID`
 *   ambiguous. An evicted id may be used again.
 */
import { SseError } from '../protocol/sse-error.js';
import type { Transport, TransportHistoryStats, Update } from '../hub/types.js';

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
   * Most bytes of updates kept for replay (data, id, type and topics,
   * measured as UTF-8 for data and UTF-16 code units for the rest).
   *
   * @default 16777216 (16 MiB)
   */
  historyBytes?: number | undefined;
}

/** Default for {@link MemoryTransportOptions.historySize}. */
export const DEFAULT_HISTORY_SIZE = 1000;
/** Default for {@link MemoryTransportOptions.historyBytes}. */
export const DEFAULT_HISTORY_BYTES = 16 * 1024 * 1024;

/** Approximate bytes an update holds in history. */
export function updateSize(update: Update): number {
  let size = Buffer.byteLength(update.data, 'utf8') + update.id.length;
  if (update.type !== undefined) size += update.type.length;
  for (const topic of update.topics) size += topic.length;
  return size;
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

type Listener = (update: Update) => void;

class MemoryTransport implements Transport {
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** Ring buffer: the update with sequence number `s` sits at `s % capacity`. */
  readonly #slots: (Update | undefined)[];
  readonly #sizes: number[];
  readonly #seqById = new Map<string, number>();
  /** Sequence number of the oldest retained update; `#next` is one past the newest. */
  #first = 0;
  #next = 0;
  #bytes = 0;
  #listeners: Listener[] = [];
  #closed = false;

  constructor(capacity: number, maxBytes: number) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
    this.#slots = [];
    this.#sizes = [];
  }

  dispatch(update: Update): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', 'The memory transport is closed.'),
      );
    }
    if (this.#seqById.has(update.id)) {
      return Promise.reject(
        new SseError(
          'SSE_ERR_INVALID_FIELD',
          `"id" must be unique: an update with id "${update.id}" is still in history`,
          { field: 'id' },
        ),
      );
    }
    this.#store(update);
    for (const listener of this.#listeners) listener(update);
    return Promise.resolve();
  }

  #store(update: Update): void {
    const capacity = this.#capacity;
    const size = updateSize(update);
    if (capacity === 0 || size > this.#maxBytes) return;
    while (this.#next - this.#first >= capacity || this.#bytes + size > this.#maxBytes) {
      this.#evictOldest();
    }
    const seq = this.#next++;
    const slot = seq % capacity;
    this.#slots[slot] = update;
    this.#sizes[slot] = size;
    this.#bytes += size;
    this.#seqById.set(update.id, seq);
  }

  #evictOldest(): void {
    const slot = this.#first % this.#capacity;
    const old = this.#slots[slot];
    if (old !== undefined) {
      this.#seqById.delete(old.id);
      this.#bytes -= this.#sizes[slot] ?? 0;
      this.#slots[slot] = undefined;
    }
    this.#first++;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  history(afterId: string): Promise<{ found: boolean; updates: Update[] }> {
    let from: number;
    if (afterId === 'earliest') {
      from = this.#first;
    } else {
      const seq = this.#seqById.get(afterId);
      if (seq === undefined) return Promise.resolve({ found: false, updates: [] });
      from = seq + 1;
    }
    const updates: Update[] = [];
    for (let seq = from; seq < this.#next; seq++) {
      const update = this.#slots[seq % this.#capacity];
      if (update !== undefined) updates.push(update);
    }
    return Promise.resolve({ found: true, updates });
  }

  lastEventId(): Promise<string | undefined> {
    if (this.#next === this.#first) return Promise.resolve(undefined);
    return Promise.resolve(this.#slots[(this.#next - 1) % this.#capacity]?.id);
  }

  historyStats(): TransportHistoryStats {
    return { count: this.#next - this.#first, bytes: this.#bytes };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners = [];
    this.#slots.length = 0;
    this.#sizes.length = 0;
    this.#seqById.clear();
    this.#first = this.#next;
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
