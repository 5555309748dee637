/**
 * The file transport's engine: the append queue (group commit), delivery,
 * positions and pages of history. What it promises, and why, is in
 * `../file.ts`; the factory there opens the store and creates this.
 */
import { SseError } from '../../protocol/sse-error.js';
import {
  updateSize,
  type HistoryPage,
  type HistoryQuery,
  type Position,
  type Transport,
  type TransportHistoryStats,
  type TransportLatency,
  type TransportListener,
  type Update,
} from '../../hub/types.js';
import { encodeRecord, idHash } from './record.js';
import type { StoreLock } from './lock.js';
import type { Append, Limits, StoreEngine } from './store.js';

/** Most updates in one commit (`fsync: 'batch'`). */
export const MAX_BATCH = 1000;
/** Most record bytes in one commit (`fsync: 'batch'`; one larger update still goes alone). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Upper bounds of the append latency histogram, in seconds. */
export const LATENCY_BOUNDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** How often the data file's size is measured again, at most (ms). */
const DISK_BYTES_EVERY_MS = 1000;

const POSITION_WIDTH = 16;

function position(seq: number): Position {
  return String(seq).padStart(POSITION_WIDTH, '0');
}

function sequence(value: Position): number | undefined {
  const seq = Number(value);
  return /^\d+$/.test(value) && Number.isSafeInteger(seq) ? seq : undefined;
}

function unavailable(message: string, cause?: unknown): SseError {
  return new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', message, { cause });
}

interface Pending extends Append {
  readonly update: Update;
  readonly startedAt: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface FileTransportSettings extends Limits {
  readonly fsync: 'always' | 'batch';
  readonly onError: (error: unknown) => void;
}

export class FileTransport implements Transport {
  readonly #store: StoreEngine;
  readonly #lock: StoreLock;
  readonly #settings: FileTransportSettings;
  #listeners: TransportListener[] = [];
  #queue: Pending[] = [];
  /** The commit loop, while it runs. */
  #committing: Promise<void> | undefined;
  /** Next sequence number to hand out. */
  #nextSeq: number;
  /** Sequence number of the last update handed to the listeners. */
  #delivered: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #diskBytes: number;
  #diskMeasuredAt = 0;
  readonly #counts = new Array<number>(LATENCY_BOUNDS.length + 1).fill(0);
  #latencyCount = 0;
  #latencySum = 0;
  #commits = 0;
  #failedCommits = 0;
  readonly #openReport: { droppedTransaction: boolean; droppedRecords: number };

  constructor(
    store: StoreEngine,
    lock: StoreLock,
    settings: FileTransportSettings,
    diskBytes: number,
    openReport: { droppedTransaction: boolean; droppedRecords: number },
  ) {
    this.#store = store;
    this.#lock = lock;
    this.#settings = settings;
    this.#nextSeq = store.state.lastSeq + 1;
    this.#delivered = store.state.lastSeq;
    this.#diskBytes = diskBytes;
    this.#diskMeasuredAt = Date.now();
    this.#openReport = openReport;
  }

  dispatch(update: Update): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        unavailable('The file transport is closed; the update was not stored.'),
      );
    }
    const { historySize, historyBytes } = this.#settings;
    const seq = this.#nextSeq++;
    const size = updateSize(update);
    const hash = idHash(update.id);
    // Like the memory transport: an update larger than the whole history is
    // delivered but not kept.
    const record =
      historySize > 0 && size <= historyBytes ? encodeRecord(update, size, hash) : undefined;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({
        seq,
        update,
        size,
        hash,
        record,
        startedAt: performance.now(),
        resolve,
        reject,
      });
      this.#committing ??= this.#commitLoop();
    });
  }

  /** One batch after the other, each one transaction, until the queue is empty. */
  async #commitLoop(): Promise<void> {
    // Let the dispatches of this turn join the first batch.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#store.append(batch, this.#settings);
        this.#commits++;
      } catch (error) {
        this.#failedCommits++;
        const failure = unavailable(
          `The store ${this.#store.dir} could not be written; the update was not stored.`,
          error,
        );
        this.#settings.onError(failure);
        for (const item of batch) item.reject(failure);
        continue;
      }
      const now = performance.now();
      for (const item of batch) {
        this.#delivered = item.seq;
        this.#deliver(item.update, position(item.seq));
        this.#observe((now - item.startedAt) / 1000);
        item.resolve();
      }
      this.#measureDisk();
    }
    this.#committing = undefined;
  }

  #takeBatch(): Pending[] {
    if (this.#settings.fsync === 'always') return this.#queue.splice(0, 1);
    let bytes = 0;
    let count = 0;
    for (const item of this.#queue) {
      const size = item.record?.length ?? 0;
      if (count >= MAX_BATCH || (count > 0 && bytes + size > MAX_BATCH_BYTES)) break;
      bytes += size;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #deliver(update: Update, at: Position): void {
    for (const listener of this.#listeners) {
      try {
        listener(update, at);
      } catch (error) {
        this.#settings.onError(error);
      }
    }
  }

  #observe(seconds: number): void {
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS.length && seconds > (LATENCY_BOUNDS[bucket] as number)) {
      bucket++;
    }
    this.#counts[bucket] = (this.#counts[bucket] as number) + 1;
    this.#latencyCount++;
    this.#latencySum += seconds;
  }

  #measureDisk(): void {
    const now = Date.now();
    if (now - this.#diskMeasuredAt < DISK_BYTES_EVERY_MS) return;
    this.#diskMeasuredAt = now;
    this.#store.diskBytes().then(
      (bytes) => {
        this.#diskBytes = bytes;
      },
      () => undefined,
    );
  }

  subscribe(listener: TransportListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  livePosition(): Position {
    return position(this.#delivered);
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    if (this.#closed) return Promise.reject(unavailable('The file transport is closed.'));
    try {
      return Promise.resolve(this.#page(query));
    } catch (error) {
      return Promise.reject(unavailable('The history could not be read from the store.', error));
    }
  }

  #page(query: HistoryQuery): HistoryPage {
    const notFound: HistoryPage = { found: false, updates: [], next: undefined };
    const { after } = query;
    let afterSeq: number | undefined;
    let afterPosition: Position | undefined;
    let afterUpdate: Update | undefined;
    if (after === 'earliest') {
      afterSeq = undefined;
    } else if ('id' in after) {
      const found = this.#store.find(after.id);
      if (found === undefined) return notFound;
      afterSeq = found.seq;
      afterPosition = position(found.seq);
      afterUpdate = found.update;
    } else {
      afterSeq = sequence(after.position);
      // Unknown, or the update right after it was trimmed: the reader fell behind.
      if (afterSeq === undefined || afterSeq < this.#store.state.trimmedThrough) return notFound;
    }
    const upTo = query.upTo === undefined ? undefined : sequence(query.upTo);
    const limit = Math.max(1, query.limit);
    const updates: Update[] = [];
    let bytes = 0;
    let lastSeq: number | undefined;
    let more = false;
    for (const record of this.#store.records(afterSeq, upTo)) {
      if (updates.length >= limit || (updates.length > 0 && bytes + record.size > query.maxBytes)) {
        more = true;
        break;
      }
      lastSeq = record.seq;
      // A damaged record is passed over (and counted), never replayed.
      if (record.update === undefined) continue;
      updates.push(record.update);
      bytes += record.size;
    }
    return {
      found: true,
      updates,
      next: more && lastSeq !== undefined ? position(lastSeq) : undefined,
      afterPosition,
      afterUpdate,
    };
  }

  lastEventId(): Promise<string | undefined> {
    try {
      return Promise.resolve(this.#store.newest()?.id);
    } catch (error) {
      return Promise.reject(unavailable('The history could not be read from the store.', error));
    }
  }

  historyStats(): TransportHistoryStats {
    const { count, bytes } = this.#store.state;
    return { count, bytes, diskBytes: this.#diskBytes };
  }

  counters(): Readonly<Record<string, number>> {
    return {
      commits: this.#commits,
      failedCommits: this.#failedCommits,
      damagedRecords: this.#store.damaged,
      droppedTornTransactions: this.#openReport.droppedTransaction ? 1 : 0,
    };
  }

  appendLatency(): TransportLatency {
    const buckets: number[] = [];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BOUNDS.length; i++) {
      cumulative += this.#counts[i] as number;
      buckets.push(cumulative);
    }
    return {
      bounds: LATENCY_BOUNDS,
      buckets,
      count: this.#latencyCount,
      sumSeconds: this.#latencySum,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    // What was dispatched before close() is committed (and answered) first.
    while (this.#committing !== undefined) await this.#committing;
    this.#listeners = [];
    try {
      await this.#store.close();
    } finally {
      await this.#lock.release();
    }
  }
}
