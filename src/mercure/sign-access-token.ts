/**
 * Mints Mercure 1.0 access tokens (RFC 9068 profile): `typ: at+jwt`, `iss`,
 * `aud` (the hub's resource identifier), `exp` (required), `iat`, and an
 * `authorization_details` claim (RFC 9396) with one detail of type
 * `https://mercure.rocks/authorization-detail` per action granted, its
 * `topics` as matcher objects (`{ "match", "match_type"? }`, `exact` when
 * `match_type` is left out) and the subscriber's `payload`.
 *
 * For `ssehub token --format at+jwt`, tests and applications that issue
 * their own tokens; `signToken` mints the pre-1.0 kind (`mercure` claim).
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#authorization
 * @see https://www.rfc-editor.org/rfc/rfc9068
 */
import { SignJWT } from 'jose';
import type { MatcherType } from '../hub/matcher-spec.js';
import { SseError } from '../protocol/sse-error.js';
import { MERCURE_AUTHORIZATION_DETAIL_TYPE } from './authorization-details.js';
import { DEFAULT_JWT_ALG, importSignKey, type JwtAlgorithm, type JwtKeyInput } from './jwt-key.js';
import { setLifetime } from './sign-token.js';

/** A topic matcher of a grant: a string is an exact matcher (or `*`). */
export type GrantMatcher = string | { readonly match: string; readonly matchType: MatcherType };

/** Options of {@link signAccessToken}. */
export interface SignAccessTokenOptions {
  /** The HMAC secret (`HS*`) or a PEM private key. */
  key: JwtKeyInput;
  /** @default 'HS256' */
  alg?: JwtAlgorithm | undefined;
  /** `iss`: an issuer the hub trusts (`--issuer`). */
  issuer: string;
  /** `aud`: the hub's resource identifier (`--resource-identifier`). */
  audience: string;
  /** Topics the bearer may publish to. @default undefined (no publish detail) */
  publish?: readonly GrantMatcher[] | undefined;
  /** Topics of private updates the bearer may receive. @default undefined */
  subscribe?: readonly GrantMatcher[] | undefined;
  /** The subscribe detail's `payload`: a JSON object. @default undefined */
  payload?: Readonly<Record<string, unknown>> | undefined;
  /** `sub`. @default undefined */
  subject?: string | undefined;
  /**
   * Lifetime: seconds, or a span such as `'30m'`, `'1h'`, `'7d'`. An access
   * token always expires ([spec] `exp` is required).
   *
   * @default 3600
   */
  expiresIn?: number | string | undefined;
}

function invalid(field: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', message, { field });
}

function topicsOf(matchers: readonly GrantMatcher[], field: string): object[] {
  if (matchers.length === 0)
    throw invalid(field, `"${field}" must list at least one topic matcher`);
  return matchers.map((m) =>
    typeof m === 'string'
      ? { match: m }
      : m.matchType === 'exact'
        ? { match: m.match }
        : { match: m.match, match_type: m.matchType },
  );
}

/**
 * Signs a Mercure 1.0 access token.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option: a key that
 * does not fit the algorithm, an empty issuer, audience or matcher list, a
 * payload that is not an object, an invalid `expiresIn`.
 */
export async function signAccessToken(options: SignAccessTokenOptions): Promise<string> {
  const alg = options.alg ?? DEFAULT_JWT_ALG;
  const { key } = importSignKey(options.key, alg, 'key');
  if (options.issuer === '') throw invalid('issuer', '"issuer" must not be empty');
  if (options.audience === '') throw invalid('audience', '"audience" must not be empty');
  const payload: unknown = options.payload;
  if (
    payload !== undefined &&
    (payload === null || typeof payload !== 'object' || Array.isArray(payload))
  ) {
    throw invalid('payload', '"payload" must be a JSON object');
  }
  const details: object[] = [];
  if (options.publish !== undefined) {
    details.push({
      type: MERCURE_AUTHORIZATION_DETAIL_TYPE,
      actions: ['publish'],
      topics: topicsOf(options.publish, 'publish'),
    });
  }
  if (options.subscribe !== undefined) {
    details.push({
      type: MERCURE_AUTHORIZATION_DETAIL_TYPE,
      actions: ['subscribe'],
      topics: topicsOf(options.subscribe, 'subscribe'),
      ...(payload === undefined ? {} : { payload }),
    });
  }
  const jwt = new SignJWT({ authorization_details: details })
    .setProtectedHeader({ alg, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt();
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  setLifetime(jwt, options.expiresIn ?? 3600);
  return jwt.sign(key);
}
