/**
 * Adapter for node's `http` and the `http2` compatibility API
 * (`IncomingMessage`/`ServerResponse`, `Http2ServerRequest`/`Http2ServerResponse`).
 * Express, Fastify (after `hijack()`), Koa (`ctx.req`/`ctx.res`) and anything
 * else built on them go through here.
 *
 * Only types are imported from `node:`, so loading `ssehub/server` works on
 * runtimes without node's modules (Deno, Bun, edge) for the Fetch adapter.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9113#section-8.2.2
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { SseConnection, SseConnectionSink } from '../connection.js';
import { readLastEventId } from '../last-event-id.js';
import { resolveLastEventIdParam, type SseHeaders, type SseStreamOptions } from '../options.js';
import { SseStream } from '../sse-stream.js';
import { listenForClose } from './node-listeners.js';

/** A request from `node:http` or the `node:http2` compatibility API. */
export type NodeSseRequest = IncomingMessage | Http2ServerRequest;
/** A response from `node:http` or the `node:http2` compatibility API. */
export type NodeSseResponse = ServerResponse | Http2ServerResponse;

/** `NGHTTP2_CANCEL`: "the stream is no longer needed" (RFC 9113 §7). */
const NGHTTP2_CANCEL = 0x8;

/**
 * Compression middleware (`compression` for Express/Connect) buffers writes in
 * a zlib stream and adds `res.flush()` to push them out; without calling it,
 * events sit in the compressor until it fills.
 */
interface MaybeFlushable {
  flush?(): void;
}

function isGone(res: NodeSseResponse): boolean {
  if ('stream' in res) return res.stream.destroyed || res.writableEnded;
  return res.destroyed || res.writableEnded;
}

class NodeResponseConnection implements SseConnection {
  readonly #res: NodeSseResponse;
  readonly #http11: boolean;
  #sink: SseConnectionSink | undefined;

  constructor(req: NodeSseRequest, res: NodeSseResponse) {
    this.#res = res;
    // `Connection: keep-alive` on HTTP/1.1 only: HTTP/1.0 has no chunked
    // encoding (the body ends with the connection) and HTTP/2 forbids the
    // header outright (RFC 9113 §8.2.2; node throws on it).
    this.#http11 = req.httpVersionMajor === 1 && req.httpVersionMinor >= 1;
  }

  open(headers: SseHeaders, sink: SseConnectionSink): void {
    this.#sink = sink;
    const res = this.#res;
    if (isGone(res)) {
      sink.connectionClosed();
      return;
    }
    listenForClose(res, sink);
    // Lists are passed as-is (node writes one header line per entry) and never mutated.
    const head = (
      this.#http11 ? { ...headers, connection: 'keep-alive' } : headers
    ) as OutgoingHttpHeaders;
    // writeHead merges headers set earlier with res.setHeader (CORS middleware).
    // Then send the head now, not with the first event: the client's `open`
    // fires on it, and proxies see a live response.
    if ('stream' in res) {
      res.writeHead(200, head);
      // Present at runtime on Http2ServerResponse, missing from @types/node 20.
      (res as { flushHeaders?(): void }).flushHeaders?.();
    } else {
      res.writeHead(200, head);
      // Sends the head now. Not flushHeaders(): node writes a head flushed
      // alone as UTF-8, one sent with a body as Latin-1, so a header value
      // holding UTF-8 bytes (a non-ASCII Last-Event-ID) would go out
      // double-encoded. An empty Latin-1 write sends it as Latin-1, byte for
      // byte, like every other head node writes.
      res.write('', 'latin1');
    }
    (res as MaybeFlushable).flush?.();
  }

  write(chunk: string | Uint8Array): void {
    const res = this.#res;
    if (isGone(res)) {
      // The close event has not reached us yet; never write to a dead socket.
      this.#sink?.connectionClosed();
      return;
    }
    if ('stream' in res) res.write(chunk);
    else res.write(chunk);
    (res as MaybeFlushable).flush?.();
  }

  bufferedBytes(): number {
    return this.#res.writableLength;
  }

  end(): void {
    if (!isGone(this.#res)) this.#res.end();
  }

  destroy(): void {
    const res = this.#res;
    if ('stream' in res) {
      // RST_STREAM(CANCEL) drops the queued data of this stream only.
      if (!res.stream.destroyed) res.stream.close(NGHTTP2_CANCEL);
    } else if (!res.destroyed) {
      // Tears down the socket, dropping what it still holds.
      res.destroy();
    }
  }
}

/**
 * Starts an SSE response on a node `http` or `http2` (compatibility API)
 * request/response pair: status 200, SSE headers flushed at once, the initial
 * `retry:` if configured, heartbeats.
 *
 * Headers set before with `res.setHeader` (CORS middleware, cookies) are kept.
 *
 * @example
 * http.createServer((req, res) => {
 *   const stream = createSseStream(req, res, { retry: 2000 });
 *   stream.send({ data: 'hello' });
 *   stream.on('close', (reason) => console.log('closed:', reason));
 * });
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options (nothing is written).
 */
export function createSseStream(
  req: NodeSseRequest,
  res: NodeSseResponse,
  options: SseStreamOptions = {},
): SseStream {
  const lastEventId = readLastEventId(
    req.headers['last-event-id'],
    req.url,
    resolveLastEventIdParam(options),
  );
  return new SseStream(new NodeResponseConnection(req, res), options, lastEventId);
}
