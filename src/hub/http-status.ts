/**
 * The HTTP status each hub error code answers with, for the `serve*()`
 * helpers and the standalone server (one table, so both agree).
 */
import type { SseErrorCode } from '../protocol/sse-error.js';

const STATUS: Partial<Record<SseErrorCode, number>> = {
  SSE_ERR_INVALID_FIELD: 400,
  SSE_ERR_INVALID_TOPIC: 400,
  SSE_ERR_TOO_MANY_TOPICS: 400,
  SSE_ERR_DATA_TOO_LARGE: 413,
  SSE_ERR_UNAUTHORIZED: 401,
  SSE_ERR_FORBIDDEN: 403,
  SSE_ERR_TOO_MANY_SUBSCRIBERS: 503,
  SSE_ERR_TRANSPORT_UNAVAILABLE: 503,
  SSE_ERR_HUB_CLOSED: 503,
};

/** The HTTP status for an error code; 500 for codes that are not the client's doing. */
export function httpStatusForError(code: SseErrorCode): number {
  return STATUS[code] ?? 500;
}
