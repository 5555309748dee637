/**
 * Mercure 1.0 access tokens: JWT access tokens (RFC 9068) whose
 * `authorization_details` claim (RFC 9396) says what the bearer may do.
 *
 * Checks, in order ([spec] "Token Validation"; each failure refuses the token):
 * 1. size and shape: a compact JWS of at most `maxTokenLength` characters;
 * 2. header `typ` is `at+jwt`, or `application/at+jwt`, compared
 *    case-insensitively with the `application/` prefix omitted (RFC 9068 §4,
 *    RFC 7515 §4.1.9), so an ID Token or a pre-1.0 Mercure JWT is refused;
 * 3. header `alg`: never `none`, and only the algorithm a trusted key of the
 *    token's issuer is bound to (`JwtKey.alg`, fixed at start-up): the token
 *    never chooses the algorithm, and key material in the token (`jwk`,
 *    `jku`, `x5u`, `x5c`) is never used;
 * 4. `iss` is present and exactly one of the trusted issuers; the signature
 *    is verified with that issuer's keys only, never a pool across issuers;
 * 5. signature; `aud` (a string or an array of strings) contains the
 *    resource identifier; `exp` present and in the future; `nbf`, when
 *    present, not in the future; `iat`, when present, a number not in the
 *    future; all with `clockTolerance` seconds of slack. `sub`, `client_id`,
 *    `iat` and `jti` are issuer obligations (RFC 9068 §2.2) the hub does not
 *    require: the upstream conformance token carries none of them;
 * 6. `authorization_details` (authorization-details.ts).
 *
 * Error contract: every refusal is `SseError('SSE_ERR_UNAUTHORIZED',
 * 'invalid token')`, the same message whatever went wrong ([spec] "Returning
 * `invalid_token` for every presented-token failure ... avoids disclosing why
 * validation failed"). The reason is an {@link AccessTokenRejection} in its
 * `cause`, for logs only ({@link accessTokenRejectionOf}).
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#token-validation
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { SseError } from '../protocol/sse-error.js';
import {
  AccessTokenRejection,
  parseAuthorizationDetails,
  type AccessTokenRejectionReason,
  type AuthorizationDetailsOptions,
  type MercureAuthorizationDetail,
} from './authorization-details.js';
import type { JwtKey } from './jwt-key.js';
import { verifyKeyOf } from './verify-key-cache.js';

export { AccessTokenRejection, type AccessTokenRejectionReason };

/** The message of every refused access token. */
export const INVALID_TOKEN_MESSAGE = 'invalid token';
/** Default of {@link AccessTokenOptions.maxTokenLength}: node's default header limit. */
export const DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024;

/** An issuer the hub trusts, with the keys its tokens are signed with. */
export interface TrustedIssuer {
  /** The exact `iss` value (an authorization server, or a self-issuing app's URL). */
  readonly issuer: string;
  /** Keys verifying this issuer's tokens for the role at hand (publisher or subscriber). */
  readonly keys: readonly JwtKey[];
}

/** Options of {@link verifyAccessToken}. */
export interface AccessTokenOptions extends AuthorizationDetailsOptions {
  /** The trusted issuers and their keys; a token from any other `iss` is refused. */
  readonly issuers: readonly TrustedIssuer[];
  /** The hub's resource identifier: a token's `aud` must contain it. */
  readonly resourceIdentifier: string;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. @default 0 */
  clockTolerance?: number | undefined;
  /** Longest accepted token, in characters. @default 16384 */
  maxTokenLength?: number | undefined;
  /** The clock, in ms since the epoch (tests inject one). @default Date.now */
  now?: (() => number) | undefined;
}

/** A verified access token, normalized. */
export interface AccessToken {
  readonly kind: 'access-token';
  readonly issuer: string;
  /** `sub`, when the token has one (subscription events may use it, with the issuer). */
  readonly subject: string | undefined;
  /** The validated Mercure details, in token order (payload selection is order-dependent). */
  readonly details: readonly MercureAuthorizationDetail[];
  /** Matchers of every detail granting `publish`. */
  readonly publish: readonly MercureAuthorizationDetail['topics'][number][];
  /** Matchers of every detail granting `subscribe`. */
  readonly subscribe: readonly MercureAuthorizationDetail['topics'][number][];
  /** `exp` in ms since the epoch: a subscriber's stream must close by then. */
  readonly expiresAt: number;
  /** Every claim, as verified. */
  readonly claims: JWTPayload;
}

function reject(reason: AccessTokenRejectionReason, message: string, cause?: unknown): SseError {
  return new SseError('SSE_ERR_UNAUTHORIZED', INVALID_TOKEN_MESSAGE, {
    cause: new AccessTokenRejection(reason, message, cause === undefined ? undefined : { cause }),
  });
}

/** The internal reason of a refused access token, for logs; `undefined` for other errors. */
export function accessTokenRejectionOf(error: unknown): AccessTokenRejection | undefined {
  if (!(error instanceof SseError)) return undefined;
  return error.cause instanceof AccessTokenRejection ? error.cause : undefined;
}

/** A header or claim value for a log line. */
function shown(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * RFC 9068 §4: `typ` is `at+jwt` or `application/at+jwt`, case-insensitive.
 * Exported for the both-dialects hub: a token with this `typ` is a 1.0
 * access token and is judged only by these rules.
 */
export function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return (
    (lower.startsWith('application/') ? lower.slice('application/'.length) : lower) === 'at+jwt'
  );
}

/** True when `token`'s header says it is a JWT access token (`typ` above); never throws. */
export function looksLikeAccessToken(token: string): boolean {
  try {
    return isAccessTokenType(decodeProtectedHeader(token).typ);
  } catch {
    return false;
  }
}

/** Maps a jose failure to a rejection reason. */
function reasonOf(error: unknown): AccessTokenRejectionReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') {
      if (error.reason === 'missing') return 'exp-missing';
      return error.reason === 'invalid' ? 'claims' : 'expired';
    }
    if (error.claim === 'nbf') return 'not-yet-valid';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'typ') return 'typ';
    return 'claims';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg';
  return 'malformed';
}

/**
 * Verifies a Mercure 1.0 access token (see the file comment for the checks).
 *
 * @throws {SseError} `SSE_ERR_UNAUTHORIZED` with the message
 * {@link INVALID_TOKEN_MESSAGE} and an {@link AccessTokenRejection} cause.
 */
export async function verifyAccessToken(
  token: string,
  options: AccessTokenOptions,
): Promise<AccessToken> {
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const clockTolerance = options.clockTolerance ?? 0;
  const now = (options.now ?? Date.now)();
  if (token.length > maxLength) throw reject('too-large', `token over ${maxLength} characters`);
  if (!COMPACT_JWS.test(token)) throw reject('malformed', 'not a compact JWS');

  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch (cause) {
    throw reject('malformed', 'undecodable header or claims', cause);
  }
  // [spec] RFC 9068: refuse tokens issued for other purposes (ID Tokens, …).
  if (!isAccessTokenType(header.typ)) {
    throw reject('typ', `"typ" is ${shown(header.typ)}, not "at+jwt"`);
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
    throw reject('alg', `"alg" ${shown(alg)} is not allowed`);
  }
  // [spec] The unverified `iss` only selects among configured issuers; the
  // signature is then checked with that issuer's keys alone.
  const iss = unverified.iss;
  const trusted =
    typeof iss === 'string' ? options.issuers.find((i) => i.issuer === iss) : undefined;
  if (trusted === undefined) {
    throw reject('issuer', `"iss" ${shown(iss)} is not a trusted issuer`);
  }
  const keys = trusted.keys.filter((key) => key.alg === alg);
  if (keys.length === 0) {
    throw reject(
      'alg',
      `"alg" "${alg}" is not the algorithm of a key of issuer "${trusted.issuer}"`,
    );
  }

  let payload: JWTPayload | undefined;
  let lastError: unknown;
  for (const key of keys) {
    try {
      ({ payload } = await jwtVerify(token, await verifyKeyOf(key), {
        algorithms: [key.alg],
        typ: 'at+jwt',
        issuer: trusted.issuer,
        audience: options.resourceIdentifier,
        requiredClaims: ['exp'],
        clockTolerance,
        currentDate: new Date(now),
      }));
      break;
    } catch (error) {
      lastError = error;
      // Another key of the same issuer may have signed it (rotation).
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      throw reject(reasonOf(error), error instanceof Error ? error.message : 'invalid', error);
    }
  }
  if (payload === undefined) {
    throw reject(reasonOf(lastError), 'no trusted key verifies the signature', lastError);
  }
  if (typeof payload.exp !== 'number') throw reject('exp-missing', '"exp" is missing');
  if (payload.iat !== undefined && payload.iat > now / 1000 + clockTolerance) {
    throw reject('issued-in-future', '"iat" is in the future');
  }
  if (payload.sub !== undefined && typeof payload.sub !== 'string') {
    throw reject('claims', '"sub" must be a string');
  }

  let details: MercureAuthorizationDetail[];
  try {
    details = parseAuthorizationDetails(payload.authorization_details, options);
  } catch (error) {
    if (error instanceof AccessTokenRejection) {
      throw new SseError('SSE_ERR_UNAUTHORIZED', INVALID_TOKEN_MESSAGE, { cause: error });
    }
    throw error;
  }
  return {
    kind: 'access-token',
    issuer: trusted.issuer,
    subject: payload.sub,
    details,
    publish: details.filter((d) => d.publish).flatMap((d) => d.topics),
    subscribe: details.filter((d) => d.subscribe).flatMap((d) => d.topics),
    expiresAt: payload.exp * 1000,
    claims: payload,
  };
}
