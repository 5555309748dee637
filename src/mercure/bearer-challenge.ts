/**
 * RFC 6750 `WWW-Authenticate: Bearer` challenges for Mercure 1.0 refusals,
 * with the RFC 9728 `resource_metadata` parameter.
 *
 * [spec] "Error Responses":
 * - no token where one is required: 401, a challenge with NO `error`;
 * - a presented token that fails validation (including its authorization
 *   details): 401 `error="invalid_token"`, whatever the reason;
 * - a valid token that does not allow the operation: 403
 *   `error="insufficient_scope"`;
 * - a malformed token presentation (bad `Authorization` header, token in the
 *   URL): 400 `error="invalid_request"`;
 * - every 401/403 carries the challenge, which SHOULD include
 *   `resource_metadata` pointing at the protected resource metadata.
 *
 * Values are written as RFC 9110 quoted-strings (`"` and `\` escaped);
 * a control character cannot be written at all (header injection), so
 * {@link quotedString} throws on one.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#error-responses
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
import { SseError } from '../protocol/sse-error.js';

/** The RFC 6750 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** The status each RFC 6750 error code answers with (RFC 6750 §3.1). */
export const BEARER_ERROR_STATUS: Readonly<Record<BearerErrorCode, number>> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
};

/** What a challenge says. */
export interface BearerChallengeOptions {
  /** The error code; omit it when no token was presented. */
  error?: BearerErrorCode | undefined;
  /** Absolute URL of the protected resource metadata (RFC 9728 §5.1). */
  resourceMetadata?: string | undefined;
  /** RFC 6750 `realm`. @default undefined (not sent) */
  realm?: string | undefined;
  /**
   * RFC 6750 `error_description`, for developers. Never put the reason a token
   * was refused here ([spec] not disclosing why validation failed).
   */
  errorDescription?: string | undefined;
}

/**
 * An RFC 9110 quoted-string: `"` and `\` become quoted-pairs.
 *
 * @throws {SseError} `SSE_ERR_INVALID_FIELD` when `value` holds a control
 * character (U+0000–U+0008, U+000A–U+001F, U+007F): it could end the header.
 */
export function quotedString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    throw new SseError('SSE_ERR_INVALID_FIELD', 'control character in a header parameter', {
      field: 'www-authenticate',
    });
  }
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The value of a `WWW-Authenticate` header: `Bearer`, then `realm`, `error`,
 * `error_description` and `resource_metadata` when given, comma-separated.
 *
 * @example
 * bearerChallenge({ error: 'invalid_token', resourceMetadata: 'https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure' })
 * // Bearer error="invalid_token", resource_metadata="https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure"
 */
export function bearerChallenge(options: BearerChallengeOptions = {}): string {
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quotedString(options.realm)}`);
  if (options.error !== undefined) params.push(`error=${quotedString(options.error)}`);
  if (options.errorDescription !== undefined) {
    params.push(`error_description=${quotedString(options.errorDescription)}`);
  }
  if (options.resourceMetadata !== undefined) {
    params.push(`resource_metadata=${quotedString(options.resourceMetadata)}`);
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

/**
 * The RFC 9728 §3.1 metadata URL of a resource identifier: the well-known
 * suffix goes between the host and the path (a terminating `/` after the host
 * is dropped first). For `https://hub.example/.well-known/mercure`:
 * `https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure`.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` when `resourceIdentifier` is not
 * an absolute URL with a host, or has a fragment (RFC 9728 §1.2).
 */
export function resourceMetadataUrl(resourceIdentifier: string): string {
  let url: URL;
  try {
    url = new URL(resourceIdentifier);
  } catch (cause) {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"resourceIdentifier" must be an absolute URL', {
      field: 'resourceIdentifier',
      cause,
    });
  }
  if (url.host === '' || url.hash !== '') {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      '"resourceIdentifier" must have a host and no fragment',
      { field: 'resourceIdentifier' },
    );
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}

/**
 * The RFC 6750 error code for an error thrown while authorizing a 1.0
 * request, or `undefined` when the error is not an authorization refusal:
 * - `SSE_ERR_UNAUTHORIZED` → `invalid_token` (a token was presented and
 *   refused; the "no token" case is answered by the caller with a challenge
 *   without error code, see {@link bearerChallenge});
 * - `SSE_ERR_FORBIDDEN` → `insufficient_scope`;
 * - `SSE_ERR_INVALID_FIELD` on field `authorization` (a malformed
 *   presentation, see access-token-source.ts) → `invalid_request`.
 */
export function bearerErrorOf(error: unknown): BearerErrorCode | undefined {
  if (!(error instanceof SseError)) return undefined;
  if (error.code === 'SSE_ERR_UNAUTHORIZED') return 'invalid_token';
  if (error.code === 'SSE_ERR_FORBIDDEN') return 'insufficient_scope';
  if (error.code === 'SSE_ERR_INVALID_FIELD' && error.field === 'authorization') {
    return 'invalid_request';
  }
  return undefined;
}
