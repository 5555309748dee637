/**
 * HTTP errors of the hub server: one place maps every refusal to a status and
 * a one-line `text/plain` message a user can act on.
 *
 * Refusals raised by the hub (and by this layer's own checks) are `SseError`s
 * with a stable `code`; the hub's `httpStatusForError` table (shared with its
 * `serve*()` helpers, so both agree) turns the code into a status.
 * Purely HTTP refusals with no hub meaning (404, 405, 413 on the body, 415)
 * are {@link HttpError}s that carry their status.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { httpStatusForError } from '../hub/index.js';
import { SseError } from '../protocol/sse-error.js';
import type { NodeSseRequest, NodeSseResponse } from '../server/index.js';

/** An HTTP refusal with its own status, for problems that are not hub errors. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly headers: OutgoingHttpHeaders | undefined;

  constructor(status: number, message: string, headers?: OutgoingHttpHeaders) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** What to answer for an error: status, one-line message, extra headers. */
export interface ErrorResponse {
  status: number;
  message: string;
  headers: OutgoingHttpHeaders | undefined;
  /** True when the error is the server's fault (log it as an error). */
  internal: boolean;
}

/**
 * Turns anything thrown while handling a request into a response. Unknown
 * errors become a 500 whose message reveals nothing of the cause (it is
 * logged instead).
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      message: error.message,
      headers: error.headers,
      internal: error.status >= 500,
    };
  }
  if (error instanceof SseError) {
    const status = httpStatusForError(error.code);
    const headers: OutgoingHttpHeaders | undefined =
      status === 401 ? { 'www-authenticate': 'Bearer realm="mercure"' } : undefined;
    if (status === 500) {
      return { status, message: 'internal server error', headers, internal: true };
    }
    return { status, message: error.message, headers, internal: false };
  }
  return { status: 500, message: 'internal server error', headers: undefined, internal: true };
}

/** Messages are one line: CR and LF (never useful in a status body) become spaces. */
function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ');
}

/**
 * Writes a `text/plain; charset=utf-8` error response (`message` plus a line
 * feed). Does nothing when the head was already sent (an SSE stream that
 * opened cannot turn into an error any more).
 */
export function sendError(
  res: NodeSseResponse,
  status: number,
  message: string,
  headers?: OutgoingHttpHeaders,
): void {
  if (res.headersSent || res.writableEnded) return;
  const body = `${oneLine(message)}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** Writes a small response with a body and content type (JSON, text, HTML, JS). */
export function sendBody(
  res: NodeSseResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers?: OutgoingHttpHeaders,
  head = false,
): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    'x-content-type-options': 'nosniff',
  });
  if (head) res.end();
  else res.end(body);
}

/** `NGHTTP2_REFUSED_STREAM`: the stream was not processed, safe to retry (RFC 9113 §8.7). */
const NGHTTP2_REFUSED_STREAM = 0x7;

/**
 * Drops a request without an HTTP answer, so the client treats it as a
 * network error and retries. For subscribe requests the hub cannot serve
 * for a passing reason (shutting down, transport unreachable): EventSource
 * gives up for good on any status but 200 (WHATWG HTML, "fail the
 * connection"), but reconnects, with `Last-Event-ID`, after a network error.
 */
export function refuseConnection(req: NodeSseRequest): void {
  if ('stream' in req) req.stream.close(NGHTTP2_REFUSED_STREAM);
  else req.socket.destroy();
}
