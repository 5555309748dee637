import type { SseHeaders } from './options.js';

/**
 * The one seam between the SSE stream and a runtime: a connection adapter.
 *
 * An adapter translates only. It knows how its runtime writes a head and a
 * chunk, how many bytes are still unsent, how to end or tear down, and how it
 * learns that the peer went away. Policy (heartbeats, backpressure limits,
 * close reasons, the abort signal) lives once, in `SseStream`.
 *
 * Contract, in call order:
 * 1. `open(headers, sink)` is called exactly once, first, synchronously from
 *    the stream's constructor. The adapter sends status 200 and `headers`
 *    (adding any protocol-specific ones, such as `Connection: keep-alive` on
 *    HTTP/1.1) and flushes them, so the client sees the response before any
 *    event. If the connection is already gone it calls `sink.connectionClosed()`
 *    instead.
 * 2. `write`, `bufferedBytes` any number of times while the stream is open.
 * 3. Exactly one of `end` (graceful: flush what is queued, then finish) or
 *    `destroy` (abortive: drop what is queued, release the connection). After
 *    either, the stream never calls the adapter again.
 *
 * The adapter reports the peer going away through the sink, at any time and
 * possibly more than once (the stream ignores repeats). It must not throw from
 * `write`, `end` or `destroy` for a connection that has died in the meantime;
 * if it notices the death there, it calls `sink.connectionClosed()` and returns.
 */
export interface SseConnection {
  /** Sends status 200 with `headers` and flushes the head at once. */
  open(headers: SseHeaders, sink: SseConnectionSink): void;
  /**
   * Queues one chunk for the client, unchanged. `shared`: the caller writes
   * this same, never-modified chunk to many connections in a row (the hub's
   * fan-out), so an adapter that frames chunks (HTTP/1.1 chunked coding) may
   * frame it once and reuse the framed bytes for the next connection handed
   * the same object. Adapters that do not frame ignore it.
   */
  write(chunk: string | Uint8Array, shared?: boolean): void;
  /** Bytes written but not yet taken by the connection (the backpressure measure). */
  bufferedBytes(): number;
  /** Finishes the response after the queued bytes. */
  end(): void;
  /**
   * Drops queued bytes and releases the connection (e.g. RST_STREAM on HTTP/2).
   * `error` says why; an adapter may hand it to a local reader (the Fetch body
   * errors with it) but must not emit it where nobody listens.
   */
  destroy(error: Error): void;
}

/** How an adapter reports what happens to its connection. `SseStream` implements it. */
export interface SseConnectionSink {
  /** The peer went away, or the connection was closed under us. */
  connectionClosed(): void;
  /** The connection failed with `error`. */
  connectionFailed(error: unknown): void;
}
