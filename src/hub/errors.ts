/**
 * Error codes of the hub (see `SseError` in `src/protocol/sse-error.ts`).
 * Field problems of an update reuse the protocol's `SSE_ERR_INVALID_FIELD`.
 */
import { SseError } from '../protocol/sse-error.js';
import type { ProtocolErrorCode } from '../protocol/sse-error.js';

export type HubErrorCode =
  /** A topic or topic selector is missing, empty, too long or malformed. */
  | 'SSE_ERR_INVALID_TOPIC'
  /** A subscription or an update names more topics than allowed. */
  | 'SSE_ERR_TOO_MANY_TOPICS'
  /** An update's data is larger than allowed. */
  | 'SSE_ERR_DATA_TOO_LARGE'
  /** A topic of an update is longer than allowed. */
  | 'SSE_ERR_TOPIC_TOO_LONG'
  /** An update names more topics than allowed ([spec] 1.0: a publish over a limit is a 413). */
  | 'SSE_ERR_UPDATE_TOO_LARGE'
  /** The process already holds as many subscribers as it may. */
  | 'SSE_ERR_TOO_MANY_SUBSCRIBERS'
  /** The transport cannot store or deliver updates right now. */
  | 'SSE_ERR_TRANSPORT_UNAVAILABLE'
  /** The hub is closed or closing. */
  | 'SSE_ERR_HUB_CLOSED';

/** An error the hub raises: one of its codes, or a protocol code (a field, an option). */
export function hubError(
  code: HubErrorCode | ProtocolErrorCode,
  message: string,
  options?: ConstructorParameters<typeof SseError>[2],
): SseError<HubErrorCode | ProtocolErrorCode> {
  return new SseError(code, message, options);
}
