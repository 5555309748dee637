/**
 * Adapter for the `node:http2` core API: a `ServerHttp2Stream` and its request
 * headers, as given to the server's `'stream'` event.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9113#section-8.2.2 (no `Connection` header)
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { SseConnection, SseConnectionSink } from '../connection.js';
import { readLastEventId } from '../last-event-id.js';
import { resolveLastEventIdParam, type SseHeaders, type SseStreamOptions } from '../options.js';
import { SseStream } from '../sse-stream.js';
import { listenForClose } from './node-listeners.js';

/** `NGHTTP2_CANCEL`: "the stream is no longer needed" (RFC 9113 §7). */
const NGHTTP2_CANCEL = 0x8;

class Http2StreamConnection implements SseConnection {
  readonly #stream: ServerHttp2Stream;
  #sink: SseConnectionSink | undefined;

  constructor(stream: ServerHttp2Stream) {
    this.#stream = stream;
  }

  open(headers: SseHeaders, sink: SseConnectionSink): void {
    this.#sink = sink;
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      sink.connectionClosed();
      return;
    }
    listenForClose(stream, sink);
    // respond() submits the HEADERS frame right away, before any DATA.
    stream.respond({ ...(headers as OutgoingHttpHeaders), ':status': 200 });
  }

  write(chunk: string | Uint8Array): void {
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      this.#sink?.connectionClosed();
      return;
    }
    stream.write(chunk);
  }

  bufferedBytes(): number {
    return this.#stream.writableLength;
  }

  end(): void {
    const stream = this.#stream;
    if (!stream.destroyed && !stream.closed) stream.end();
  }

  destroy(): void {
    const stream = this.#stream;
    // RST_STREAM(CANCEL): drops this stream's queued data, leaves the session up.
    if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
  }
}

/**
 * Starts an SSE response on an HTTP/2 stream (core API). The request headers
 * supply `Last-Event-ID` and the `:path` for the query fallback.
 *
 * @example
 * server.on('stream', (stream, headers) => {
 *   const sse = createHttp2SseStream(stream, headers);
 *   sse.send({ data: 'hello' });
 * });
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options (nothing is written).
 */
export function createHttp2SseStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  options: SseStreamOptions = {},
): SseStream {
  const lastEventId = readLastEventId(
    headers['last-event-id'],
    headers[':path'],
    resolveLastEventIdParam(options),
  );
  return new SseStream(new Http2StreamConnection(stream), options, lastEventId);
}
