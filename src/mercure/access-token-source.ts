/**
 * Where a Mercure 1.0 request carries its access token ([spec] "Presenting
 * the Access Token"), and how the pre-1.0 sources fit when the hub speaks both
 * dialects.
 *
 * 1.0 rules:
 * - `Authorization: Bearer <token>` (scheme case-insensitive); when present
 *   it is used and any cookie is ignored, not refused ("cookies are ambient
 *   credentials");
 * - else the cookie (default `__Secure-mercure_access_token`);
 * - never the URL: the RFC 6750 `access_token` query parameter is not part of
 *   the protocol (RFC 9700 §4.3.2), nor the pre-1.0 `authorization` one.
 *
 * A malformed presentation is `SseError('SSE_ERR_INVALID_FIELD', …, { field:
 * 'authorization' })`: 400 with `error="invalid_request"` (see
 * bearer-challenge.ts). That covers a header that is not `Bearer <b64token>`,
 * several `Authorization` values, and (with `urlTokens: 'refuse'`) a token in
 * the URL. Refusing a URL token, where the Go hub ignores it, is ssehub's
 * choice: ignored, the client would silently connect as anonymous and never
 * see its private updates; refused, it learns at once, and the token has
 * reached the logs either way.
 *
 * Both dialects (`urlTokens: 'legacy'`, `legacyCookieName`): the pre-1.0
 * order applies (header, then the `authorization` query parameter, then the
 * cookie, then the legacy cookie), and the caller judges the token by its
 * form (`looksLikeAccessToken` in access-token.ts): `typ: at+jwt` goes through
 * the 1.0 checks only, anything else through the pre-1.0 ones.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#presenting-the-access-token
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SseError } from '../protocol/sse-error.js';
import { readCookie } from './authorize.js';

/** The cookie name the draft recommends. */
export const ACCESS_TOKEN_COOKIE = '__Secure-mercure_access_token';

/** Options of {@link findPresentedToken}. */
export interface TokenSourceOptions {
  /** The cookie carrying the token. @default '__Secure-mercure_access_token' */
  cookieName?: string | undefined;
  /** Also read this cookie after {@link cookieName} (both dialects: `mercureAuthorization`). @default undefined */
  legacyCookieName?: string | undefined;
  /**
   * Tokens in the URL (`authorization`, `access_token` query parameters):
   * `'refuse'` (1.0 only: 400 `invalid_request`) or `'legacy'` (both
   * dialects: `authorization` is read as in pre-1.0, `access_token` refused).
   *
   * @default 'refuse'
   */
  urlTokens?: 'refuse' | 'legacy' | undefined;
}

/** A token found on a request, not yet verified. */
export interface PresentedToken {
  readonly token: string;
  /** `cookie` tokens need the CSRF origin check on `POST` (authorize.ts). */
  readonly source: 'header' | 'query' | 'cookie' | 'legacy-cookie';
}

function invalidRequest(message: string): SseError {
  return new SseError('SSE_ERR_INVALID_FIELD', message, { field: 'authorization' });
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The request's token, or `undefined` when it presents none.
 *
 * @throws {SseError} `SSE_ERR_INVALID_FIELD` (field `authorization`) on a
 * malformed presentation.
 */
export function findPresentedToken(
  headers: IncomingHttpHeaders | ((name: string) => string | undefined),
  query: URLSearchParams,
  options: TokenSourceOptions = {},
): PresentedToken | undefined {
  const read =
    typeof headers === 'function'
      ? headers
      : (name: string): string | undefined => {
          const value = headers[name];
          return Array.isArray(value) ? value.join('; ') : value;
        };
  const header = read('authorization');
  if (header !== undefined) {
    const match = BEARER.exec(header);
    if (match?.[1] === undefined) {
      throw invalidRequest('the "Authorization" header must be "Bearer <token>"');
    }
    return { token: match[1], source: 'header' };
  }
  if (query.has('access_token')) {
    throw invalidRequest('access tokens are not accepted in the URL');
  }
  if (query.has('authorization')) {
    if (options.urlTokens !== 'legacy') {
      throw invalidRequest(
        'access tokens are not accepted in the URL: use the "Authorization" header or the cookie',
      );
    }
    const values = query.getAll('authorization');
    if (values.length !== 1 || values[0] === '') {
      throw invalidRequest('one non-empty "authorization" parameter is expected');
    }
    return { token: values[0] ?? '', source: 'query' };
  }
  const cookies = read('cookie');
  const fromCookie = readCookie(cookies, options.cookieName ?? ACCESS_TOKEN_COOKIE);
  if (fromCookie !== undefined && fromCookie !== '') return { token: fromCookie, source: 'cookie' };
  if (options.legacyCookieName !== undefined) {
    const legacy = readCookie(cookies, options.legacyCookieName);
    if (legacy !== undefined && legacy !== '') return { token: legacy, source: 'legacy-cookie' };
  }
  return undefined;
}
