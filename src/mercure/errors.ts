/** Error codes of the Mercure endpoint (see `SseError` in `src/protocol/sse-error.ts`). */
export type MercureErrorCode =
  /** No valid credentials where they are required (HTTP 401). */
  | 'SSE_ERR_UNAUTHORIZED'
  /** Valid credentials that do not allow this (HTTP 403). */
  | 'SSE_ERR_FORBIDDEN';
