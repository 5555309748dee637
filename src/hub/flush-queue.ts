/**
 * Coalescing writer: the hub-wide flush that turns many frames for many
 * streams into few socket writes.
 *
 * Fan-out never writes to a socket. It appends the shared frame to the
 * subscriber's pending list and marks the subscriber dirty; one flush per
 * event-loop turn (`setImmediate`, scheduled once for the whole hub) then
 * writes each dirty subscriber's pending frames in ONE `writeRaw` (a
 * `Buffer.concat` when there are several). Updates published while a flush
 * runs, or during the rest of the turn, wait for the next flush, so under
 * load writes per second stay bounded by subscribers × flushes while
 * deliveries per second keep growing. Subscribers that received the same
 * frames in one flush (the common case: one popular topic) share one
 * concatenated Buffer.
 *
 * Slow consumers: a subscriber whose socket still holds unsent bytes, and
 * for whom writing now would take them past `maxBufferedBytes`, is held back
 * (its frames keep accumulating, bounded) and retried on one hub-wide timer.
 * Once its held-back frames alone pass `maxBufferedBytes`, they are written
 * anyway and the stream's own limit closes it with reason `'slow-consumer'`
 * (the client resumes with `Last-Event-ID`). Memory per subscriber therefore
 * stays under about twice `maxBufferedBytes` plus one replay.
 */
import type { StreamSubscriber } from './subscriber.js';

/** Retry delay for held-back subscribers (their socket was busy). */
const RETRY_MS = 10;
/** What the flush tells every stream it writes to (see `SseStream.writeRaw`). */
const SHARED = { shared: true } as const;
/** Shared concatenations remembered per first frame, per flush. */
const MAX_SHARED_PER_FRAME = 4;

/** Counters the flush maintains (part of `hub.stats`). */
export interface FlushCounters {
  writes: number;
  bytesWritten: number;
}

interface Shared {
  readonly frames: Buffer[];
  readonly joined: Buffer;
}

function sameFrames(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class FlushQueue {
  readonly #maxBufferedBytes: number;
  readonly #counters: FlushCounters;
  #dirty: StreamSubscriber[] = [];
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #run = (): void => {
    this.#immediate = undefined;
    this.flush();
  };
  readonly #retry = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  constructor(maxBufferedBytes: number, counters: FlushCounters) {
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#counters = counters;
  }

  /** Queues `subscriber` for the next flush (the caller checked `dirty`). */
  markDirty(subscriber: StreamSubscriber): void {
    subscriber.dirty = true;
    this.#dirty.push(subscriber);
    if (this.#immediate === undefined) this.#immediate = setImmediate(this.#run);
  }

  /** Writes every dirty subscriber's pending frames now. */
  flush(): void {
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    const max = this.#maxBufferedBytes;
    let shared: Map<Buffer, Shared[]> | undefined;
    let heldBack: StreamSubscriber[] | undefined;
    for (const sub of dirty) {
      const pending = sub.pending;
      const stream = sub.stream;
      if (sub.closed || pending === undefined) {
        sub.dirty = false;
        continue;
      }
      // Not attached yet (the response head is waiting for history): keep.
      if (stream === undefined) {
        (heldBack ??= []).push(sub);
        continue;
      }
      const buffered = stream.bufferedBytes;
      if (buffered > 0 && buffered + sub.pendingBytes > max && sub.pendingBytes <= max) {
        (heldBack ??= []).push(sub);
        continue;
      }
      let chunk: Buffer;
      if (Array.isArray(pending)) {
        const first = pending[0] as Buffer;
        shared ??= new Map();
        const candidates = shared.get(first);
        let joined: Buffer | undefined;
        if (candidates !== undefined) {
          for (const candidate of candidates) {
            if (sameFrames(candidate.frames, pending)) {
              joined = candidate.joined;
              break;
            }
          }
        }
        if (joined === undefined) {
          joined = Buffer.concat(pending, sub.pendingBytes);
          if (candidates === undefined) shared.set(first, [{ frames: pending, joined }]);
          else if (candidates.length < MAX_SHARED_PER_FRAME) {
            candidates.push({ frames: pending, joined });
          }
        }
        chunk = joined;
      } else {
        chunk = pending;
      }
      sub.pending = undefined;
      sub.pendingBytes = 0;
      sub.dirty = false;
      // A false return means the stream closed (client gone, or cut as a
      // slow consumer); its close listener unregisters the subscriber.
      // Every chunk here is shared and never modified: a frame encoded once
      // for all subscribers, or a concatenation shared within this flush.
      if (stream.writeRaw(chunk, SHARED)) {
        this.#counters.writes++;
        this.#counters.bytesWritten += chunk.length;
      }
    }
    if (heldBack !== undefined) {
      // They stay dirty; retry soon even if nothing else is published.
      for (const sub of heldBack) this.#dirty.push(sub);
      this.#timer ??= setTimeout(this.#retry, RETRY_MS);
    }
  }

  /** Stops the timers (the hub is closing). */
  close(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#immediate = undefined;
    this.#timer = undefined;
    this.#dirty = [];
  }
}
