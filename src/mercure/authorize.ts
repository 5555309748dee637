/**
 * Mercure authorization: where the JWT comes from, how it is verified, and
 * what its `mercure` claim allows.
 *
 * Token sources, in the protocol's order of precedence ([spec] "If the client
 * presents an `Authorization` HTTP header, the JWS it contains MUST be used";
 * else the `authorization` query parameter; else the cookie):
 * 1. `Authorization: Bearer <jws>`;
 * 2. the `authorization` query parameter;
 * 3. the `mercureAuthorization` cookie (name configurable).
 *
 * CSRF contract: a cookie is sent by browsers on cross-site requests, so a
 * cookie may authorize a `POST` (publishing) only when the request's
 * `Origin` (else the origin of its `Referer`) is one of the configured
 * publish origins. Safe methods (`GET`) cannot change state and need no
 * check. The header and the query parameter are never sent implicitly.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#authorization
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/authorization.go
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { verifyKeyOf } from './verify-key-cache.js';
import { SseError } from '../protocol/sse-error.js';
import type { NodeSseRequest } from '../response/index.js';
import type { JwtKey } from './jwt-key.js';

/** Mercure's default cookie name. */
export const DEFAULT_COOKIE_NAME = 'mercureAuthorization';

/** Where a token was found. */
export type TokenSource = 'header' | 'query' | 'cookie';

/** A token found on a request, not yet verified. */
export interface FoundToken {
  readonly token: string;
  readonly source: TokenSource;
}

/** The `mercure` claim of a verified token. */
export interface MercureClaim {
  /** Topic selectors the bearer may publish to; `undefined` when absent. */
  readonly publish: readonly string[] | undefined;
  /** Topic selectors of private updates the bearer may receive. */
  readonly subscribe: readonly string[] | undefined;
  /** Free-form data about the bearer. */
  readonly payload: unknown;
}

/** A verified token. */
export interface VerifiedToken {
  readonly mercure: MercureClaim;
  /** Expiration time in ms since the epoch, when the token has `exp`. */
  readonly expiresAt: number | undefined;
  readonly claims: JWTPayload;
}

function unauthorized(message: string): SseError {
  return new SseError('SSE_ERR_UNAUTHORIZED', message);
}

/** Reads one cookie from a `Cookie` header; `undefined` when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * Finds the request's token following the precedence above, or `undefined`
 * when it carries none.
 *
 * @throws {SseError} `SSE_ERR_UNAUTHORIZED` when an `Authorization` header is
 * present but not `Bearer <token>` (it still wins over the other sources).
 */
export function findToken(
  header: (name: string) => string | undefined,
  query: URLSearchParams,
  cookieName: string,
): FoundToken | undefined {
  const authorization = header('authorization');
  if (authorization !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (match?.[1] === undefined) {
      throw unauthorized('invalid "Authorization" header: expected "Bearer <token>"');
    }
    return { token: match[1], source: 'header' };
  }
  const fromQuery = query.get('authorization');
  if (fromQuery !== null) {
    if (fromQuery === '')
      throw unauthorized('invalid token: the "authorization" parameter is empty');
    return { token: fromQuery, source: 'query' };
  }
  const fromCookie = readCookie(header('cookie'), cookieName);
  if (fromCookie !== undefined && fromCookie !== '') return { token: fromCookie, source: 'cookie' };
  return undefined;
}

/**
 * The origin a `POST` came from: its `Origin` header, else the origin of its
 * `Referer`; `undefined` when neither is usable.
 */
export function requestOrigin(req: NodeSseRequest): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== '') return origin;
  const referer = req.headers.referer;
  if (referer === undefined || referer === '') return undefined;
  try {
    const url = new URL(referer);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * CSRF guard for a cookie-authorized `POST` (see the file comment).
 *
 * @throws {SseError} `SSE_ERR_UNAUTHORIZED` without `Origin` or `Referer`,
 * `SSE_ERR_FORBIDDEN` when the origin is not allowed.
 */
export function checkCookieOrigin(
  req: NodeSseRequest,
  publishOrigins: readonly string[] | '*',
  cookieName: string,
): void {
  const origin = requestOrigin(req);
  if (origin === undefined) {
    throw unauthorized(
      `an "Origin" or "Referer" header is required to publish with the "${cookieName}" cookie`,
    );
  }
  if (publishOrigins !== '*' && !publishOrigins.includes(origin)) {
    throw new SseError(
      'SSE_ERR_FORBIDDEN',
      `origin "${origin}" is not allowed to publish with the "${cookieName}" cookie`,
    );
  }
}

function stringList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw unauthorized(`invalid token: "mercure.${name}" must be an array of strings`);
  }
  return value;
}

function readMercureClaim(payload: JWTPayload): MercureClaim {
  // Mercure also reads a namespaced claim, a fallback for identity providers
  // that only allow URL claim names.
  const raw = payload.mercure ?? payload['https://mercure.rocks/'];
  if (raw === undefined || raw === null) {
    return { publish: undefined, subscribe: undefined, payload: undefined };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw unauthorized('invalid token: the "mercure" claim must be an object');
  }
  const claim = raw as Record<string, unknown>;
  return {
    publish: stringList(claim.publish, 'publish'),
    subscribe: stringList(claim.subscribe, 'subscribe'),
    payload: claim.payload,
  };
}

/** Turns a `jose` failure into the message the client sees. */
function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'invalid token: expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'invalid token: not valid yet ("nbf" is in the future)';
    if (error.claim === 'iat') return 'invalid token: "iat" is in the future';
    return `invalid token: ${error.message}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'token signed with another key';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return 'invalid token: malformed';
  }
  return 'invalid token';
}

/**
 * Verifies a compact JWS with `key`: signature, algorithm (only `key.alg`),
 * `exp` and `nbf` (with `clockTolerance` seconds of slack), and the shape of
 * the `mercure` claim.
 *
 * @throws {SseError} `SSE_ERR_UNAUTHORIZED` with a message naming the problem.
 */
export async function verifyToken(
  token: string,
  key: JwtKey,
  clockTolerance: number,
): Promise<VerifiedToken> {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized('invalid token: malformed');
  }
  if (typeof alg !== 'string') throw unauthorized('invalid token: malformed');
  // Checked before jose so the message names the problem exactly; jose
  // refuses them too (its `algorithms` list).
  if (alg.toLowerCase() === 'none') throw unauthorized('alg "none" is not allowed');
  if (alg !== key.alg) {
    throw unauthorized(`alg "${alg}" is not allowed (the hub expects "${key.alg}")`);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, await verifyKeyOf(key), {
      algorithms: [key.alg],
      clockTolerance,
    }));
  } catch (error) {
    throw new SseError('SSE_ERR_UNAUTHORIZED', describeJoseError(error), { cause: error });
  }
  return {
    mercure: readMercureClaim(payload),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    claims: payload,
  };
}
