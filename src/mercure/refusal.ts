/**
 * A refused request, as every entry point answers it: one table from error
 * codes to HTTP statuses, one message, the same headers. The HTTP layer maps
 * refusals to bytes; nothing else decides a status.
 *
 * Transient refusals (the transport is unreachable, the hub is closing) are
 * not answered with a status on the subscribe path:
 * an `EventSource` gives up for good on any status but 200 (WHATWG HTML,
 * "fail the connection"), while a network error makes it reconnect, with
 * `Last-Event-ID`, to whichever process answers next. So the connection is
 * dropped (HTTP/1.x: the socket closes without a response; HTTP/2: the stream
 * is reset with `REFUSED_STREAM`; Fetch runtimes, which cannot drop a
 * connection: a `200 text/event-stream` head whose body fails at once). A
 * publisher still gets its 503: it sees the status and retries. A process
 * at its subscriber limit answers 503 (not transient: a browser reconnecting
 * every few seconds to a full process would only add load; put a load
 * balancer in front that retries elsewhere on 503).
 */
import { isSseError, SseError, type SseErrorOptions } from '../protocol/sse-error.js';
import type { ProtocolErrorCode } from '../protocol/sse-error.js';
import type { HubErrorCode } from '../hub/errors.js';
import type { MercureErrorCode } from './errors.js';

/** Every code a Mercure request can be refused with. */
export type RefusalCode = HubErrorCode | MercureErrorCode | ProtocolErrorCode;

const STATUS: Readonly<Partial<Record<RefusalCode, number>>> = {
  SSE_ERR_INVALID_FIELD: 400,
  SSE_ERR_INVALID_TOPIC: 400,
  SSE_ERR_TOO_MANY_TOPICS: 400,
  SSE_ERR_DATA_TOO_LARGE: 413,
  SSE_ERR_TOPIC_TOO_LONG: 413,
  SSE_ERR_UPDATE_TOO_LARGE: 413,
  SSE_ERR_UNAUTHORIZED: 401,
  SSE_ERR_FORBIDDEN: 403,
  SSE_ERR_TOO_MANY_SUBSCRIBERS: 503,
  SSE_ERR_TRANSPORT_UNAVAILABLE: 503,
  SSE_ERR_HUB_CLOSED: 503,
};

/** Refusals a subscriber should retry after rather than give up on. */
const TRANSIENT: ReadonlySet<string> = new Set<RefusalCode>([
  'SSE_ERR_TRANSPORT_UNAVAILABLE',
  'SSE_ERR_HUB_CLOSED',
]);

/** The HTTP status for an error code; 500 for codes that are not the client's doing. */
export function httpStatusForError(code: string): number {
  return STATUS[code as RefusalCode] ?? 500;
}

/** An HTTP refusal with its own status, for problems that are not hub errors (404, 405, 413, 415). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(status: number, message: string, headers?: Readonly<Record<string, string>>) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * An `SseError` with the headers its answer needs (an RFC 6750
 * `WWW-Authenticate` challenge, see mercure-auth.ts).
 */
export class ChallengedError extends SseError<RefusalCode> {
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: RefusalCode,
    message: string,
    headers: Readonly<Record<string, string>>,
    options?: SseErrorOptions,
  ) {
    super(code, message, options);
    this.headers = headers;
  }
}

/** How to answer a refused request. */
export interface Refusal {
  readonly status: number;
  /** The error code (`undefined` for purely HTTP refusals and internal errors). */
  readonly code: string | undefined;
  /** One line, shown to the client. Internal errors say nothing of their cause. */
  readonly message: string;
  /** Headers the refusal itself needs (`WWW-Authenticate`, `Allow`, …). */
  readonly headers: Readonly<Record<string, string>>;
  /** A subscribe request refused for a passing reason: drop the connection (see the file comment). */
  readonly transient: boolean;
  /** The server's fault (log it as an error, with `cause`). */
  readonly internal: boolean;
  readonly cause: unknown;
}

/** Messages are one line: CR and LF (never useful in a status body) become spaces. */
function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ');
}

/**
 * Turns anything thrown while handling a request into a refusal. Unknown
 * errors become a 500 whose message reveals nothing of the cause.
 */
export function refusalFor(error: unknown): Refusal {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      code: undefined,
      message: oneLine(error.message),
      headers: error.headers ?? {},
      transient: false,
      internal: error.status >= 500,
      cause: error,
    };
  }
  if (isSseError(error)) {
    // A malformed token presentation ([RFC 6750] invalid_request) is a 400.
    const status =
      error instanceof ChallengedError &&
      error.code === 'SSE_ERR_INVALID_FIELD' &&
      error.field === 'authorization'
        ? 400
        : httpStatusForError(error.code);
    if (status === 500) return internalError(error);
    return {
      status,
      code: error.code,
      message: oneLine(error.message),
      headers:
        error instanceof ChallengedError
          ? error.headers
          : status === 401
            ? { 'www-authenticate': 'Bearer realm="mercure"' }
            : {},
      transient: TRANSIENT.has(error.code),
      internal: false,
      cause: error,
    };
  }
  return internalError(error);
}

function internalError(cause: unknown): Refusal {
  return {
    status: 500,
    code: undefined,
    message: 'internal server error',
    headers: {},
    transient: false,
    internal: true,
    cause,
  };
}

/** The headers every refusal body is sent with (plus `Content-Length`). */
export const REFUSAL_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** The body of a refusal: its message and a line feed. */
export function refusalBody(refusal: Refusal): string {
  return `${refusal.message}\n`;
}
