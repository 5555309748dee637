/**
 * The events the client fires besides `MessageEvent`: `open` carries the
 * response, `error` carries a typed {@link SseError}. Both are plain `Event`
 * subclasses, so code written for a browser's `EventSource` (which fires bare
 * `Event`s) keeps working.
 */
import type { ClientError, ClientEventErrorCode } from './errors.js';

/** The `open` event: the connection is established; the response is at hand. */
export class SseOpenEvent extends Event {
  /** The response (its body is being read by the client: do not consume it). */
  readonly response: Response;
  /** The HTTP status (200). */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** The final URL, after redirects (the `url` of the event source stays the one it was given). */
  readonly url: string;

  constructor(type: string, response: Response, url: string) {
    super(type);
    this.response = response;
    this.status = response.status;
    this.headers = response.headers;
    this.url = url;
  }
}

/**
 * The `error` event. When `readyState` is CONNECTING the client reconnects
 * after `reconnectDelay` ms; when it is CLOSED the client has given up (the
 * connection failed, or `maxRetries` ran out).
 */
export class SseErrorEvent extends Event {
  /** What went wrong. */
  readonly error: ClientError;
  /** The error's code (`SSE_ERR_HTTP_STATUS`, `SSE_ERR_NETWORK`, …). */
  readonly code: ClientEventErrorCode;
  /** The HTTP status, when the error is about a response. */
  readonly status: number | undefined;
  /** A message a person can act on. */
  readonly message: string;
  /** Milliseconds until the next attempt; `undefined` when the client gave up. */
  readonly reconnectDelay: number | undefined;

  constructor(type: string, error: ClientError, reconnectDelay: number | undefined) {
    super(type);
    this.error = error;
    this.code = error.code;
    this.status = error.status;
    this.message = error.message;
    this.reconnectDelay = reconnectDelay;
  }
}
