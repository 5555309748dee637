/**
 * Who a Mercure request comes from, in either dialect, and how a refusal
 * says so.
 *
 * - `0.x` mode (pre-1.0 only): the token comes from `Authorization: Bearer`,
 *   the `authorization` query parameter or the cookie; its `mercure` claim
 *   holds selectors (`authorize.ts`); refusals name the problem, with
 *   `WWW-Authenticate: Bearer realm="mercure"`.
 * - `1.0` mode: `Authorization: Bearer` or the cookie, never the URL; the
 *   token is an RFC 9068 access token (`typ: at+jwt`) from a trusted issuer,
 *   for this hub's resource identifier (`access-token.ts`); refusals are
 *   RFC 6750 challenges: 401 with `WWW-Authenticate: Bearer
 *   resource_metadata="…"` and no error code when no token was presented,
 *   `error="invalid_token"` for any token failure (without saying why),
 *   400 `invalid_request` for a malformed presentation, 403
 *   `insufficient_scope` (the caller's, see publish.ts).
 * - `both` (the default): pre-1.0 sources too (the `authorization` query
 *   parameter, the `mercureAuthorization` cookie after the 1.0 one); a token
 *   is judged by its form: `typ: at+jwt` by the 1.0 rules only, anything else
 *   by the pre-1.0 ones; refusals are RFC 6750 challenges.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md (Authorization)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
import { isSseError, SseError } from '../protocol/sse-error.js';
import { findPresentedToken } from './access-token-source.js';
import { looksLikeAccessToken, verifyAccessToken, type AccessToken } from './access-token.js';
import { findToken, verifyToken, type VerifiedToken } from './authorize.js';
import { bearerChallenge, bearerErrorOf, resourceMetadataUrl } from './bearer-challenge.js';
import type { JwtKey } from './jwt-key.js';
import type { MercureProtocol } from './options.js';
import { ChallengedError, type RefusalCode } from './refusal.js';

/** What authentication needs from the endpoint's options. */
export interface AuthSettings {
  readonly protocol: MercureProtocol;
  readonly issuers: readonly string[];
  readonly resourceIdentifier: string | undefined;
  readonly cookieName: string;
  readonly legacyCookieName: string | undefined;
  readonly clockTolerance: number;
}

/** A request's verified token, in its dialect. */
export type Authenticated =
  | { readonly dialect: '0.x'; readonly token: VerifiedToken; readonly source: string }
  | { readonly dialect: '1.0'; readonly token: AccessToken; readonly source: string };

/** Where the request came in: the hub's URL as the client sees it. */
export interface RequestPlace {
  readonly header: (name: string) => string | undefined;
  readonly query: URLSearchParams;
  /** The hub's URL as contacted (origin + hub path): the base of URL patterns, the default resource identifier. */
  readonly hubUrl: string;
}

/** The resource identifier for a request (configured, else derived from the hub URL contacted). */
export function resourceIdentifierOf(settings: AuthSettings, place: RequestPlace): string {
  return settings.resourceIdentifier ?? place.hubUrl;
}

function challengeHeaders(
  settings: AuthSettings,
  place: RequestPlace,
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined,
): Record<string, string> {
  let resourceMetadata: string | undefined;
  try {
    resourceMetadata = resourceMetadataUrl(resourceIdentifierOf(settings, place));
  } catch {
    resourceMetadata = undefined; // a derived URL without a usable host
  }
  return { 'www-authenticate': bearerChallenge({ error, resourceMetadata }) };
}

/**
 * A refusal as the endpoint's dialect answers it: an RFC 6750 challenge in
 * `1.0` and `both` modes (the message says nothing of why a token failed),
 * the pre-1.0 answer in `0.x` mode.
 */
export function challenge(settings: AuthSettings, place: RequestPlace, error: unknown): unknown {
  if (settings.protocol === '0.x' || !isSseError(error)) return error;
  const code = bearerErrorOf(error);
  if (code === undefined) return error;
  const message =
    code === 'invalid_token'
      ? 'invalid token'
      : code === 'insufficient_scope'
        ? error.message
        : `invalid request: ${error.message}`;
  return new ChallengedError(
    error.code as RefusalCode,
    message,
    challengeHeaders(settings, place, code),
    error.field === undefined ? { cause: error } : { cause: error, field: error.field },
  );
}

/** The 401 for a request that presented no token where one is required. */
export function tokenRequired(settings: AuthSettings, place: RequestPlace, message: string): Error {
  const error = new SseError('SSE_ERR_UNAUTHORIZED', message);
  if (settings.protocol === '0.x') return error;
  return new ChallengedError(
    'SSE_ERR_UNAUTHORIZED',
    'an access token is required',
    challengeHeaders(settings, place, undefined),
  );
}

/**
 * Finds and verifies the request's token for one role (its key), or
 * resolves to `undefined` when it presents none.
 *
 * @throws the dialect's refusal (see {@link challenge}).
 */
export async function authenticate(
  settings: AuthSettings,
  place: RequestPlace,
  key: JwtKey | undefined,
): Promise<Authenticated | undefined> {
  try {
    if (settings.protocol === '0.x') {
      const found = findToken(place.header, place.query, settings.cookieName);
      if (found === undefined) return undefined;
      if (key === undefined) throw new SseError('SSE_ERR_UNAUTHORIZED', 'no key to verify tokens');
      const token = await verifyToken(found.token, key, settings.clockTolerance);
      return { dialect: '0.x', token, source: found.source };
    }
    const found = findPresentedToken(place.header, place.query, {
      cookieName: settings.cookieName,
      legacyCookieName: settings.legacyCookieName,
      urlTokens: settings.protocol === 'both' ? 'legacy' : 'refuse',
    });
    if (found === undefined) return undefined;
    if (key === undefined) throw new SseError('SSE_ERR_UNAUTHORIZED', 'no key to verify tokens');
    if (looksLikeAccessToken(found.token)) {
      const token = await verifyAccessToken(found.token, {
        issuers: settings.issuers.map((issuer) => ({ issuer, keys: [key] })),
        resourceIdentifier: resourceIdentifierOf(settings, place),
        clockTolerance: settings.clockTolerance,
        baseUrl: place.hubUrl,
      });
      return { dialect: '1.0', token, source: found.source };
    }
    if (settings.protocol === '1.0') {
      throw new SseError('SSE_ERR_UNAUTHORIZED', 'not an access token (typ: at+jwt)');
    }
    const token = await verifyToken(found.token, key, settings.clockTolerance);
    return { dialect: '0.x', token, source: found.source };
  } catch (error) {
    throw challenge(settings, place, error);
  }
}
