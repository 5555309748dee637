/**
 * CORS for the hub endpoint: which browser origins may subscribe and publish
 * from another site, with or without credentials (the `mercureAuthorization`
 * cookie).
 *
 * Contract:
 * - Credentials are granted only to origins listed by name: the request's
 *   origin is echoed with `Access-Control-Allow-Credentials: true`.
 * - `*` allows any other origin WITHOUT credentials: the answer is
 *   `Access-Control-Allow-Origin: *` and no credentials header, so a browser
 *   refuses a credentialed request (`withCredentials`, the cookie) from an
 *   unlisted site, as the Fetch standard requires. Echoing any origin with
 *   credentials would let every web page read its visitors' private updates.
 * - Every response whose CORS headers depend on `Origin` says so with
 *   `Vary: Origin`, so a cache never serves one origin's answer to another.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 * @see https://fetch.spec.whatwg.org/#cors-protocol-and-credentials
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { NodeSseRequest } from '../response/index.js';

/** Request headers a Mercure client sends. */
export const CORS_ALLOWED_HEADERS = 'Authorization, Last-Event-ID, Content-Type, Cache-Control';
/** Methods of the hub endpoint. */
export const CORS_ALLOWED_METHODS = 'GET, QUERY, POST, OPTIONS';
/**
 * Response headers a cross-origin `fetch()` client may read: the resume
 * cursors of both dialects, and `Link` ([spec] 1.0: a hub serving
 * cross-origin subscribers "MUST expose the `Link` response header").
 */
export const CORS_EXPOSED_HEADERS = 'Last-Event-ID, Mercure-Last-Event-ID, Link';
/** How long browsers may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/** Resolved CORS policy. */
export interface CorsPolicy {
  /**
   * Origins listed by name (`https://app.example`): echoed, with credentials
   * when {@link credentials}.
   */
  readonly origins: readonly string[];
  /** `*` was given: any other origin is allowed, never with credentials. */
  readonly anyOrigin: boolean;
  /** Whether the listed origins may send credentials (cookies). */
  readonly credentials: boolean;
}

/** True when `origin` may make cross-origin requests under `policy`. */
export function isAllowedOrigin(policy: CorsPolicy, origin: string): boolean {
  return policy.anyOrigin || policy.origins.includes(origin);
}

/**
 * CORS headers for an actual (non-preflight) response. Without an `Origin`
 * header (same-origin or non-browser clients) only `Vary` is set (or `*`).
 */
export function corsHeaders(
  policy: CorsPolicy,
  req: { readonly headers: IncomingHttpHeaders },
): OutgoingHttpHeaders {
  if (!policy.anyOrigin && policy.origins.length === 0) return {};
  // `*` and nothing listed: the same answer for every origin, no Vary needed.
  if (policy.anyOrigin && policy.origins.length === 0) {
    return {
      'access-control-allow-origin': '*',
      'access-control-expose-headers': CORS_EXPOSED_HEADERS,
    };
  }
  const headers: OutgoingHttpHeaders = { vary: 'Origin' };
  const origin = req.headers.origin;
  if (origin !== undefined && policy.origins.includes(origin)) {
    headers['access-control-allow-origin'] = origin;
    if (policy.credentials) headers['access-control-allow-credentials'] = 'true';
    headers['access-control-expose-headers'] = CORS_EXPOSED_HEADERS;
  } else if (policy.anyOrigin) {
    // Never with credentials: see the contract above.
    headers['access-control-allow-origin'] = '*';
    headers['access-control-expose-headers'] = CORS_EXPOSED_HEADERS;
  }
  return headers;
}

/** True for a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(req: NodeSseRequest): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}

/**
 * Headers answering a preflight: the actual-response headers plus the
 * allowed methods and headers, or `undefined` when the origin is not allowed
 * (the caller answers without CORS headers and the browser blocks the request).
 */
export function preflightHeaders(
  policy: CorsPolicy,
  req: NodeSseRequest,
): OutgoingHttpHeaders | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || !isAllowedOrigin(policy, origin)) return undefined;
  return {
    ...corsHeaders(policy, req),
    // Listed by name as well as allowed with `*` (whose wildcard form does
    // not cover `Authorization`); the answer does not depend on the request
    // headers, Vary names them anyway for caches that key on them.
    vary: 'Origin, Access-Control-Request-Headers',
    'access-control-allow-methods': CORS_ALLOWED_METHODS,
    'access-control-allow-headers': CORS_ALLOWED_HEADERS,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE),
  };
}
