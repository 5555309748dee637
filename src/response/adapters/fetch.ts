/**
 * Adapter for the Fetch API: builds a `Response` whose body is a
 * `ReadableStream`, for Hono, Bun, Deno, Next.js route handlers, Cloudflare
 * Workers and anything else that answers a `Request` with a `Response`.
 *
 * - Close detection: `request.signal` aborting (the runtime saw the client
 *   leave) or the body stream being cancelled (the runtime stopped reading).
 * - Backpressure: the body's queue counts bytes (a byte-length queuing
 *   strategy with a high-water mark of 0), so `-desiredSize` is exactly the
 *   bytes enqueued and not yet read by the runtime.
 * - No `Connection` header: the runtime owns the connection and may speak
 *   HTTP/2, where the header is forbidden (RFC 9113 §8.2.2).
 *
 * Uses only web-standard globals (`Response`, `Headers`, `ReadableStream`,
 * `TextEncoder`).
 */
import type { SseConnection, SseConnectionSink } from '../connection.js';
import { readLastEventId } from '../last-event-id.js';
import { resolveLastEventIdParam, type SseHeaders, type SseStreamOptions } from '../options.js';
import { SseStream } from '../sse-stream.js';

/** The part of a Fetch `Request` the adapter uses (a `Request` fits). */
export interface FetchRequestLike {
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** Aborts when the client goes away, in runtimes that support it. */
  readonly signal?: AbortSignal | undefined;
}

/** What {@link createFetchSseStream} returns. */
export interface FetchSseStream {
  /** Return this from the handler. Its body is the event stream. */
  readonly response: Response;
  /** Write events here. */
  readonly stream: SseStream;
}

const encoder = new TextEncoder();

function byteLength(chunk: Uint8Array): number {
  return chunk.byteLength;
}

class FetchConnection implements SseConnection, UnderlyingDefaultSource<Uint8Array> {
  readonly #signal: AbortSignal | undefined;
  #sink: SseConnectionSink | undefined;
  /** `undefined` before start and after the body closed, errored or was cancelled. */
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  response: Response | undefined;

  constructor(signal: AbortSignal | undefined) {
    this.#signal = signal;
  }

  open(headers: SseHeaders, sink: SseConnectionSink): void {
    this.#sink = sink;
    // `this` is the underlying source: start() and cancel() below, no closures.
    const body = new ReadableStream<Uint8Array>(this, { highWaterMark: 0, size: byteLength });
    const responseHeaders = new Headers();
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) responseHeaders.append(name, item);
      else responseHeaders.set(name, String(value));
    }
    // The runtime sends the head as soon as it gets the Response.
    this.response = new Response(body, { status: 200, headers: responseHeaders });
    const signal = this.#signal;
    if (signal?.aborted === true) sink.connectionClosed();
    // `this` is the listener object: handleEvent() below.
    else signal?.addEventListener('abort', this);
  }

  /** ReadableStream underlying source: called synchronously by its constructor. */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  /** ReadableStream underlying source: the reader gave up (the client went away). */
  cancel(): void {
    this.#controller = undefined;
    this.#sink?.connectionClosed();
  }

  /** EventListener object: `request.signal` aborted. */
  handleEvent(): void {
    this.#sink?.connectionClosed();
  }

  write(chunk: string | Uint8Array): void {
    const controller = this.#controller;
    if (controller === undefined) {
      this.#sink?.connectionClosed();
      return;
    }
    // Uint8Arrays (a shared, pre-encoded Buffer included) are enqueued as-is:
    // the stream neither copies nor detaches them.
    controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
  }

  bufferedBytes(): number {
    // High-water mark 0: desiredSize = 0 - queued bytes (null once errored).
    const desired = this.#controller?.desiredSize ?? 0;
    return desired < 0 ? -desired : 0;
  }

  end(): void {
    const controller = this.#release();
    // close() still delivers what is queued, then ends the body.
    controller?.close();
  }

  destroy(error: Error): void {
    // error() drops the queue at once; a reader of the body sees `error`.
    this.#release()?.error(error);
  }

  #release(): ReadableStreamDefaultController<Uint8Array> | undefined {
    const controller = this.#controller;
    this.#controller = undefined;
    this.#signal?.removeEventListener('abort', this);
    return controller;
  }
}

/**
 * Starts an SSE response for a Fetch-API handler.
 *
 * @example
 * // Hono
 * app.get('/events', (c) => {
 *   const { response, stream } = createFetchSseStream(c.req.raw);
 *   stream.send({ data: 'hello' });
 *   return response;
 * });
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options.
 */
export function createFetchSseStream(
  request: FetchRequestLike,
  options: SseStreamOptions = {},
): FetchSseStream {
  const lastEventId = readLastEventId(
    request.headers.get('last-event-id'),
    request.url,
    resolveLastEventIdParam(options),
  );
  const connection = new FetchConnection(request.signal);
  const stream = new SseStream(connection, options, lastEventId);
  // open() ran in the SseStream constructor, so the Response exists.
  return { response: connection.response as Response, stream };
}
