/**
 * Every error ssehub raises on purpose is an `SseError` with a stable `code`.
 * Codes never change meaning; messages may be reworded. Callers branch on
 * `code`, people read `message`.
 */
export type SseErrorCode =
  /** A field given to the encoder cannot be written safely (names the field). */
  | 'SSE_ERR_INVALID_FIELD'
  /** An option given to a factory has the wrong type or range (names the option). */
  | 'SSE_ERR_INVALID_OPTION'
  /** The parser met an event (or a single line) larger than its `maxEventSize`. */
  | 'SSE_ERR_EVENT_TOO_LARGE'
  /** A stream's unsent bytes went over its `maxBufferedBytes`: the client stopped reading. */
  | 'SSE_ERR_SLOW_CONSUMER'
  /** A write was attempted on a stream that is already closed. */
  | 'SSE_ERR_STREAM_CLOSED'
  /** A topic or topic selector is missing, empty or not a string (HTTP 400). */
  | 'SSE_ERR_INVALID_TOPIC'
  /** A subscription or an update names more topics than allowed (HTTP 400). */
  | 'SSE_ERR_TOO_MANY_TOPICS'
  /** An update's data is larger than allowed (HTTP 413 / 400). */
  | 'SSE_ERR_DATA_TOO_LARGE'
  /** No valid credentials where they are required (HTTP 401). */
  | 'SSE_ERR_UNAUTHORIZED'
  /** Valid credentials that do not allow this (HTTP 403). */
  | 'SSE_ERR_FORBIDDEN'
  /** The process already holds as many subscribers as it may (HTTP 503). */
  | 'SSE_ERR_TOO_MANY_SUBSCRIBERS'
  /** The transport cannot store or deliver updates right now (HTTP 503). */
  | 'SSE_ERR_TRANSPORT_UNAVAILABLE'
  /** The hub is closed or closing. */
  | 'SSE_ERR_HUB_CLOSED'
  /**
   * Client: the server answered with a status other than 200 (`status` holds
   * it; 204 included). The connection fails: no reconnection.
   */
  | 'SSE_ERR_HTTP_STATUS'
  /** Client: the response is not `text/event-stream`. The connection fails: no reconnection. */
  | 'SSE_ERR_CONTENT_TYPE'
  /**
   * Client: no response, or the body broke off (refused connection, DNS, reset;
   * also a `headers` function or custom `fetch` that threw). The client reconnects.
   */
  | 'SSE_ERR_NETWORK'
  /** Client: the server ended the response body. The client reconnects. */
  | 'SSE_ERR_DISCONNECTED'
  /** Client: no bytes arrived for `stallTimeout` ms; the request was aborted. The client reconnects. */
  | 'SSE_ERR_STALLED'
  /** Client: `maxRetries` reconnection attempts in a row failed; the client gave up (`cause` is the last error). */
  | 'SSE_ERR_MAX_RETRIES'
  /**
   * Client: the `fetch` resolved with something that cannot be read as a
   * stream: not a `Response` (no numeric `status`, no `Headers`), a body that
   * is not a web `ReadableStream` (a node-fetch style Node stream), `body:
   * null`, or a body already locked (an `open` listener consumed it). The
   * connection fails: no reconnection, as the same `fetch` would answer the
   * same way again.
   */
  | 'SSE_ERR_INVALID_RESPONSE'
  /**
   * Client: an exception the client did not expect (an injected `timers` or
   * `random` that threw, or a bug in the client; `cause` holds it). The
   * connection fails instead of the exception escaping as an unhandled
   * rejection.
   */
  | 'SSE_ERR_INTERNAL';

export interface SseErrorOptions {
  /** The input field the error is about, when there is one (`"id"`, `"retry"`, …). */
  field?: string;
  /** The HTTP status the error is about, when there is one (client errors: the response's status). */
  status?: number;
  cause?: unknown;
}

export class SseError extends Error {
  override readonly name = 'SseError';
  readonly code: SseErrorCode;
  readonly field: string | undefined;
  /** The HTTP status, when there is one (`SSE_ERR_HTTP_STATUS`, `SSE_ERR_CONTENT_TYPE`). */
  readonly status: number | undefined;

  constructor(code: SseErrorCode, message: string, options: SseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.status = options.status;
  }
}

/** True when `value` is an {@link SseError}, optionally with the given code. */
export function isSseError(value: unknown, code?: SseErrorCode): value is SseError {
  return value instanceof SseError && (code === undefined || value.code === code);
}
