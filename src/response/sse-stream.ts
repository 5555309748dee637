/**
 * One server-sent events response, independent of the runtime: the frames it
 * writes, heartbeats, the slow-consumer limit, and how it closes.
 *
 * Memory shape: a stream is one object with prototype methods and a handful of
 * fields. It holds no timer (see `heartbeat.ts`) and no closure; the abort
 * signal and the close-listener list are only created when asked for.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { encodeComment, encodeEvent, encodeRetry, type EventInit } from '../protocol/encode.js';
import { SseError } from '../protocol/sse-error.js';
import type { SseConnection, SseConnectionSink } from './connection.js';
import {
  addHeartbeat,
  kHeartbeatTick,
  removeHeartbeat,
  type HeartbeatMember,
} from './heartbeat.js';
import { resolveOptions, type SseStreamOptions } from './options.js';
import { sseHeaders } from './response-headers.js';

/**
 * Why a stream closed:
 * - `'client'`: the client went away (closed the tab, aborted, reset the stream);
 * - `'server'`: `close()` was called;
 * - `'slow-consumer'`: the client stopped reading and unsent bytes hit `maxBufferedBytes`;
 * - `'error'`: the connection failed.
 */
export type SseCloseReason = 'client' | 'server' | 'slow-consumer' | 'error';

/**
 * Called once when the stream closes. `error` is an `SseError`: code
 * `SSE_ERR_SLOW_CONSUMER` for `'slow-consumer'`, `SSE_ERR_STREAM_CLOSED`
 * otherwise (with the connection's error as `cause` for `'error'`).
 */
export type SseCloseListener = (reason: SseCloseReason, error: SseError) => void;

/** An empty comment: the smallest frame receivers ignore. */
const HEARTBEAT = encodeComment();

const CLOSE_MESSAGES = {
  client: 'The client closed the connection.',
  server: 'The stream was closed by the server.',
  error: 'The connection failed.',
} as const;

/**
 * A live SSE response. Create one with an adapter (`createSseStream`,
 * `createFetchSseStream`, …), or with `new SseStream(connection)` over a custom
 * {@link SseConnection}.
 *
 * Writing never throws because of the connection: every write method returns
 * `true` when the bytes were handed to the connection and `false` once the
 * stream is closed (then it touches nothing). Only invalid event fields throw
 * (`SseError` `SSE_ERR_INVALID_FIELD`, from the encoder).
 */
export class SseStream implements SseConnectionSink, HeartbeatMember {
  /**
   * The last event ID the client reported (`Last-Event-ID` header, else the
   * query parameter), or `undefined`. Untrusted client input.
   */
  readonly lastEventId: string | undefined;

  readonly #connection: SseConnection;
  readonly #maxBufferedBytes: number;
  readonly #heartbeatInterval: number | false;
  #closeReason: SseCloseReason | undefined;
  #closeError: SseError | undefined;
  /** Set by every write, cleared by the heartbeat sweep (see `heartbeat.ts`). */
  #wrote = false;
  #abort: AbortController | undefined;
  /** One listener is held as is (the common case: the hub's), several in an array. */
  #listeners: SseCloseListener | SseCloseListener[] | undefined;

  /**
   * Opens the stream: checks options, sends the head through `connection`,
   * then the initial `retry:` frame if configured, and starts heartbeats.
   *
   * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options, before anything is sent.
   */
  constructor(connection: SseConnection, options: SseStreamOptions = {}, lastEventId?: string) {
    const resolved = resolveOptions(options);
    this.lastEventId = lastEventId;
    this.#connection = connection;
    this.#maxBufferedBytes = resolved.maxBufferedBytes;
    this.#heartbeatInterval = resolved.heartbeatInterval;
    connection.open(sseHeaders(resolved.headers), this);
    if (resolved.retry !== undefined) this.#write(encodeRetry(resolved.retry));
    if (this.#closeReason === undefined && resolved.heartbeatInterval !== false) {
      addHeartbeat(this, resolved.heartbeatInterval);
    }
  }

  /** `true` once the stream has closed, for any reason. */
  get closed(): boolean {
    return this.#closeReason !== undefined;
  }

  /** Why the stream closed, or `undefined` while it is open. */
  get closeReason(): SseCloseReason | undefined {
    return this.#closeReason;
  }

  /**
   * The `SseError` describing the close (see {@link SseCloseListener}), or
   * `undefined` while open. For a slow consumer its code is `SSE_ERR_SLOW_CONSUMER`.
   */
  get closeError(): SseError | undefined {
    return this.#closeError;
  }

  /**
   * Aborts when the stream closes, with {@link closeError} as `reason`. Pass it
   * to whatever produces events for this stream (`fetch`, timers, iterators)
   * so they stop with it. Created on first access; already aborted when the
   * stream is already closed.
   */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#closeReason !== undefined) this.#abort.abort(this.#closeError);
    }
    return this.#abort.signal;
  }

  /** Bytes written but not yet taken by the connection; 0 once closed. */
  get bufferedBytes(): number {
    return this.#closeReason === undefined ? this.#connection.bufferedBytes() : 0;
  }

  /**
   * Encodes and writes one event.
   *
   * @returns `false` when the stream is closed (nothing is encoded or written),
   * or when this write closed it as a slow consumer.
   * @throws {SseError} `SSE_ERR_INVALID_FIELD` for an `id` or `event` with CR, LF
   * or NUL, or a bad `retry`.
   */
  send(event: EventInit): boolean {
    if (this.#closeReason !== undefined) return false;
    return this.#write(encodeEvent(event));
  }

  /** Writes a comment (`: text`), which clients ignore. Same return as {@link send}. */
  comment(text?: string): boolean {
    if (this.#closeReason !== undefined) return false;
    return this.#write(encodeComment(text));
  }

  /**
   * Writes pre-encoded bytes unchanged: the fan-out path, where one frame is
   * encoded once and the same `Buffer`/`Uint8Array` is written to many
   * streams (it is never copied or modified here). Same return as {@link send}.
   *
   * Security contract: the caller guarantees `chunk` is valid
   * `text/event-stream` UTF-8 made of whole frames (as `encodeEvent` returns);
   * nothing here checks it, and a partial frame would merge with the next one.
   *
   * `options.shared`: the caller promises never to modify `chunk` and writes
   * the same object to many streams in a row; an adapter that frames chunks
   * (the hub server's HTTP/1.1 front door) then frames it once for all of
   * them instead of once per stream. Without it every write is framed anew.
   */
  writeRaw(chunk: string | Uint8Array, options?: { readonly shared?: boolean }): boolean {
    return this.#write(chunk, options?.shared === true);
  }

  /**
   * Ends the stream gracefully (queued bytes are still delivered), with
   * reason `'server'`. Idempotent. Note: a client whose `EventSource` sees the
   * end reconnects after its retry delay; tell it not to through your own
   * event if that is what you mean.
   */
  close(): void {
    this.#finish('server', undefined);
  }

  /**
   * Registers a close listener. The stream closes once, so each listener runs
   * at most once. A listener added after the stream closed runs on the next
   * microtask, so no caller can miss the close. Errors thrown by a listener are
   * reported as uncaught exceptions, never into the code that caused the close.
   */
  on(event: 'close', listener: SseCloseListener): this {
    if ((event as string) !== 'close') {
      throw new TypeError(`Unknown SseStream event "${event as string}"`);
    }
    const reason = this.#closeReason;
    const error = this.#closeError;
    if (reason !== undefined && error !== undefined) {
      queueMicrotask(() => {
        listener(reason, error);
      });
    } else {
      const listeners = this.#listeners;
      if (listeners === undefined) this.#listeners = listener;
      else if (Array.isArray(listeners)) listeners.push(listener);
      else this.#listeners = [listeners, listener];
    }
    return this;
  }

  /** Removes a close listener added with {@link on}. */
  off(event: 'close', listener: SseCloseListener): this {
    const listeners = this.#listeners;
    if ((event as string) !== 'close' || listeners === undefined) return this;
    if (listeners === listener) {
      this.#listeners = undefined;
    } else if (Array.isArray(listeners)) {
      const index = listeners.indexOf(listener);
      if (index !== -1) listeners.splice(index, 1);
    }
    return this;
  }

  /** For connection adapters: the peer went away. */
  connectionClosed(): void {
    this.#finish('client', undefined);
  }

  /** For connection adapters: the connection failed. */
  connectionFailed(error: unknown): void {
    this.#finish('error', error);
  }

  /** Heartbeat sweep (see `heartbeat.ts`). */
  [kHeartbeatTick](): void {
    if (this.#wrote) this.#wrote = false;
    else this.#write(HEARTBEAT);
  }

  #write(chunk: string | Uint8Array, shared = false): boolean {
    if (this.#closeReason !== undefined) return false;
    const connection = this.#connection;
    const buffered = connection.bufferedBytes();
    // Backpressure: refuse a write that would take the unsent bytes past the
    // limit while some are still waiting. Invariant: unsent bytes stay below
    // maxBufferedBytes + one frame. (A frame larger than the limit still goes
    // out on an empty buffer, so a big event alone never trips it.) Strings are
    // measured in UTF-16 code units, as node measures them.
    if (
      buffered > 0 &&
      buffered + (typeof chunk === 'string' ? chunk.length : chunk.byteLength) >
        this.#maxBufferedBytes
    ) {
      this.#finish('slow-consumer', buffered);
      return false;
    }
    this.#wrote = true;
    try {
      connection.write(chunk, shared);
    } catch (error) {
      this.#finish('error', error);
      return false;
    }
    // The adapter may have found the connection dead while writing (a getter,
    // so TypeScript does not keep the narrowing from the top of the method).
    return !this.closed;
  }

  #finish(reason: SseCloseReason, detail: unknown): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    const error =
      reason === 'slow-consumer'
        ? new SseError(
            'SSE_ERR_SLOW_CONSUMER',
            `The client stopped reading: ${String(detail)} bytes were still unsent and the next frame would exceed maxBufferedBytes (${this.#maxBufferedBytes}). The client was disconnected.`,
          )
        : new SseError(
            'SSE_ERR_STREAM_CLOSED',
            CLOSE_MESSAGES[reason],
            reason === 'error' ? { cause: detail } : {},
          );
    this.#closeError = error;
    if (this.#heartbeatInterval !== false) removeHeartbeat(this, this.#heartbeatInterval);
    try {
      // Graceful end only when we chose to close; a slow consumer's queued
      // bytes must be dropped, not waited on.
      if (reason === 'server') this.#connection.end();
      else this.#connection.destroy(error);
    } catch {
      // The connection is unusable either way; the close below still stands.
    }
    this.#abort?.abort(error);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of Array.isArray(listeners) ? listeners : [listeners]) {
      try {
        listener(reason, error);
      } catch (thrown) {
        queueMicrotask(() => {
          throw thrown;
        });
      }
    }
  }
}
