/**
 * Adapter for a bare TCP socket whose HTTP/1.x request head was already read
 * (by a front that routes subscribers away from node's HTTP server, see
 * `src/hub-server/front-door.ts`). The response is written by hand: status
 * line, headers, then the body as HTTP/1.1 chunks (HTTP/1.0: raw bytes, the
 * end of the connection ends the body).
 *
 * Why: a long-lived SSE response through node's `ServerResponse` keeps the
 * whole HTTP machinery alive per connection (request and response objects,
 * parser, bound listeners: about 4.6 KB of heap). On the socket alone a
 * subscriber costs about a quarter of that, and each write goes through one
 * `writev` without the response layer in between.
 *
 * Security contract: header names and values come from the server's own
 * options and the hub, never verbatim from the client; they are still checked
 * here (token characters; no CR, LF or NUL), because nothing else stands
 * between them and the wire.
 *
 * Only types are imported from `node:`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-7.1 (chunked transfer coding)
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { SseError } from '../../protocol/sse-error.js';
import type { SseConnection, SseConnectionSink } from '../connection.js';
import { readLastEventId } from '../last-event-id.js';
import { resolveLastEventIdParam, type SseHeaders, type SseStreamOptions } from '../options.js';
import { SseStream } from '../sse-stream.js';
import { listenForClose } from './node-listeners.js';

/** The parts of a parsed request head the adapter uses. */
export interface RawRequestHead {
  readonly method: string;
  /** The request target, e.g. `/.well-known/mercure?topic=x`. */
  readonly url: string;
  /** 0 or 1 (HTTP/1.0 or HTTP/1.1). */
  readonly httpVersionMinor: number;
  /** Lower-case names, as node's `IncomingMessage.headers`. */
  readonly headers: IncomingHttpHeaders;
}

/** RFC 9110 token characters: what a header name may contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;
/** Headers this adapter writes itself. */
const OWN = new Set(['transfer-encoding', 'connection', 'content-length', 'date']);
const CRLF = Buffer.from('\r\n', 'latin1');
/** Chunks up to this size are copied into one buffer with their framing. */
const SMALL_CHUNK = 16 * 1024;
const LAST_CHUNK = '0\r\n\r\n';

/**
 * The last shared chunk (see `SseConnection.write`) and its framing, reused
 * while the fan-out writes that same object to subscriber after subscriber.
 * One entry: the flush writes a chunk to all its subscribers before the next.
 */
let lastShared: Uint8Array | undefined;
let lastSharedFramed: Buffer | undefined;

/** `bytes` as one HTTP/1.1 chunk: size line, data, CRLF (RFC 9112 §7.1), in one buffer. */
function frameChunk(bytes: Uint8Array): Buffer {
  const size = `${bytes.length.toString(16)}\r\n`;
  const framed = Buffer.allocUnsafe(size.length + bytes.length + 2);
  framed.write(size, 0, 'latin1');
  framed.set(bytes, size.length);
  framed[framed.length - 2] = 0x0d;
  framed[framed.length - 1] = 0x0a;
  return framed;
}

let dateValue = '';
let dateSecond = -1;

/** The `Date` header value, computed once per second (RFC 9110 §6.6.1). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

function headerLines(headers: SseHeaders): string {
  let out = '';
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (!TOKEN.test(name)) {
      throw new SseError('SSE_ERR_INVALID_OPTION', `invalid header name ${JSON.stringify(name)}`, {
        field: 'headers',
      });
    }
    if (OWN.has(name.toLowerCase())) continue;
    for (const item of Array.isArray(value) ? (value as readonly string[]) : [String(value)]) {
      if (UNSAFE_VALUE.test(item)) {
        throw new SseError(
          'SSE_ERR_INVALID_OPTION',
          `header "${name}" must not contain CR, LF or NUL`,
          { field: 'headers' },
        );
      }
      out += `${name}: ${item}\r\n`;
    }
  }
  return out;
}

class RawSocketConnection implements SseConnection {
  readonly #socket: Socket;
  /** HTTP/1.1: chunked body on a keep-alive connection; HTTP/1.0: raw body until close. */
  readonly #chunked: boolean;
  #sink: SseConnectionSink | undefined;

  constructor(socket: Socket, head: RawRequestHead) {
    this.#socket = socket;
    this.#chunked = head.httpVersionMinor >= 1;
  }

  open(headers: SseHeaders, sink: SseConnectionSink): void {
    this.#sink = sink;
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      sink.connectionClosed();
      return;
    }
    // Checked and built before anything is written: a bad header throws and
    // leaves the socket untouched.
    const lines = headerLines(headers);
    listenForClose(socket, sink);
    const framing = this.#chunked
      ? 'transfer-encoding: chunked\r\nconnection: keep-alive\r\n'
      : 'connection: close\r\n';
    socket.write(`HTTP/1.1 200 OK\r\n${lines}date: ${httpDate()}\r\n${framing}\r\n`, 'latin1');
  }

  write(chunk: string | Uint8Array, shared = false): void {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      // The close event has not reached us yet; never write to a dead socket.
      this.#sink?.connectionClosed();
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.length === 0) return;
    if (!this.#chunked) {
      socket.write(bytes);
      return;
    }
    if (shared) {
      // The fan-out hands the same immutable chunk to every subscriber in a
      // row: frame it once, then each subscriber costs one plain write.
      if (bytes !== lastShared) {
        lastShared = bytes;
        lastSharedFramed = frameChunk(bytes);
      }
      socket.write(lastSharedFramed as Buffer);
      return;
    }
    if (bytes.length <= SMALL_CHUNK) {
      // One chunk, one buffer, one write: copying a small frame costs less
      // than corking three writes into a writev.
      socket.write(frameChunk(bytes));
      return;
    }
    // A large chunk is not copied: cork so the three parts leave in one writev.
    socket.cork();
    socket.write(`${bytes.length.toString(16)}\r\n`, 'latin1');
    socket.write(bytes);
    socket.write(CRLF);
    socket.uncork();
  }

  bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  end(): void {
    const socket = this.#socket;
    if (socket.destroyed) return;
    // The response ends here, and so does the connection: a subscriber's
    // connection is not reused for another request.
    if (this.#chunked && socket.writable) socket.end(LAST_CHUNK, 'latin1');
    else socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/**
 * Starts an SSE response on a bare socket whose request head was already
 * parsed: `200`, the SSE headers (plus `options.headers`), `Date`, chunked
 * transfer coding and `Connection: keep-alive` on HTTP/1.1.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options or headers
 * (nothing is written).
 */
export function createRawSseStream(
  socket: Socket,
  head: RawRequestHead,
  options: SseStreamOptions = {},
): SseStream {
  const lastEventId = readLastEventId(
    head.headers['last-event-id'],
    head.url,
    resolveLastEventIdParam(options),
  );
  return new SseStream(new RawSocketConnection(socket, head), options, lastEventId);
}
