/** Error codes of the client (see `SseError` in `src/protocol/sse-error.ts`). */
import type { ProtocolErrorCode, SseError } from '../protocol/sse-error.js';

export type ClientErrorCode =
  /**
   * The server answered with a status other than 200 (`status` holds it; 204
   * included). The connection fails: no reconnection.
   */
  | 'SSE_ERR_HTTP_STATUS'
  /** The response is not `text/event-stream`. The connection fails: no reconnection. */
  | 'SSE_ERR_CONTENT_TYPE'
  /**
   * No response, or the body broke off (refused connection, DNS, reset; also
   * a `headers` function or custom `fetch` that threw). The client reconnects.
   */
  | 'SSE_ERR_NETWORK'
  /** The server ended the response body. The client reconnects. */
  | 'SSE_ERR_DISCONNECTED'
  /** No bytes arrived for `stallTimeout` ms; the request was aborted. The client reconnects. */
  | 'SSE_ERR_STALLED'
  /** `maxRetries` reconnection attempts in a row failed; the client gave up (`cause` is the last error). */
  | 'SSE_ERR_MAX_RETRIES'
  /**
   * The `fetch` resolved with something that cannot be read as a stream: not
   * a `Response` (no numeric `status`, no `Headers`), a body that is not a web
   * `ReadableStream` (a node-fetch style Node stream), `body: null`, or a body
   * already locked (an `open` listener consumed it). The connection fails: no
   * reconnection, as the same `fetch` would answer the same way again.
   */
  | 'SSE_ERR_INVALID_RESPONSE'
  /**
   * An exception the client did not expect (an injected `timers` or `random`
   * that threw, or a bug in the client; `cause` holds it). The connection
   * fails instead of the exception escaping as an unhandled rejection.
   */
  | 'SSE_ERR_INTERNAL';

/** Every code an error event of the client can carry. */
export type ClientEventErrorCode = ClientErrorCode | ProtocolErrorCode;

/** An error the client reports (on `error` events, and thrown by `connect()`). */
export type ClientError = SseError<ClientEventErrorCode>;
