/**
 * Every error ssehub raises on purpose is an `SseError` with a stable `code`.
 * Codes never change meaning; messages may be reworded. Callers branch on
 * `code`, people read `message`.
 *
 * One class for the whole package; each part names its own codes next to
 * the code that raises them (this layer: the wire format's), and the main
 * entry point's `SseErrorCode` is their union:
 * - protocol: {@link ProtocolErrorCode} (here);
 * - response: `ResponseErrorCode` (`src/response/errors.ts`);
 * - hub: `HubErrorCode` (`src/hub/errors.ts`);
 * - Mercure endpoint: `MercureErrorCode` (`src/mercure/errors.ts`);
 * - client: `ClientErrorCode` (`src/client/errors.ts`).
 * What an error means over HTTP (its status) is decided by the HTTP layer
 * alone (`src/mercure/refusal.ts`).
 */
export type ProtocolErrorCode =
  /** A field given to the encoder (or a publisher) cannot be written safely (names the field). */
  | 'SSE_ERR_INVALID_FIELD'
  /** An option given to a factory has the wrong type or range (names the option). */
  | 'SSE_ERR_INVALID_OPTION'
  /** The parser met an event (or a single line) larger than its `maxEventSize`. */
  | 'SSE_ERR_EVENT_TOO_LARGE';

export interface SseErrorOptions {
  /** The input field the error is about, when there is one (`"id"`, `"retry"`, …). */
  field?: string;
  /** The HTTP status the error is about, when there is one (client errors: the response's status). */
  status?: number;
  cause?: unknown;
}

export class SseError<Code extends string = string> extends Error {
  override readonly name = 'SseError';
  readonly code: Code;
  readonly field: string | undefined;
  /** The HTTP status, when there is one (`SSE_ERR_HTTP_STATUS`, `SSE_ERR_CONTENT_TYPE`). */
  readonly status: number | undefined;

  constructor(code: Code, message: string, options: SseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.status = options.status;
  }
}

/** True when `value` is an {@link SseError}, optionally with the given code. */
export function isSseError<Code extends string = string>(
  value: unknown,
  code?: Code,
): value is SseError<Code> {
  return value instanceof SseError && (code === undefined || value.code === code);
}
