/**
 * CORS for the hub endpoint: which browser origins may subscribe and publish
 * from another site, with or without credentials (the `mercureAuthorization`
 * cookie).
 *
 * Contract: with credentials, `Access-Control-Allow-Origin` is never `*` (the
 * Fetch standard forbids it): the request's origin is echoed when allowed.
 * Every response that depends on `Origin` says so with `Vary: Origin`, so a
 * cache never serves one origin's answer to another.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { NodeSseRequest } from '../response/index.js';

/** Request headers a Mercure client sends. */
export const CORS_ALLOWED_HEADERS = 'Authorization, Last-Event-ID, Content-Type, Cache-Control';
/** Methods of the hub endpoint. */
export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** How long browsers may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/** Resolved CORS policy. */
export interface CorsPolicy {
  /** Allowed origins (`https://app.example`), or `'*'` for any. Empty: no CORS. */
  readonly origins: readonly string[] | '*';
  /** Whether cross-origin requests may carry cookies. */
  readonly credentials: boolean;
}

/** True when `origin` may make cross-origin requests under `policy`. */
export function isAllowedOrigin(policy: CorsPolicy, origin: string): boolean {
  return policy.origins === '*' || policy.origins.includes(origin);
}

/**
 * CORS headers for an actual (non-preflight) response. Without an `Origin`
 * header (same-origin or non-browser clients) only `Vary` is set.
 */
export function corsHeaders(
  policy: CorsPolicy,
  req: { readonly headers: IncomingHttpHeaders },
): OutgoingHttpHeaders {
  const origin = req.headers.origin;
  if (policy.origins !== '*' && policy.origins.length === 0) return {};
  // `*` without credentials is the same answer for every origin: no Vary needed.
  if (policy.origins === '*' && !policy.credentials) {
    return { 'access-control-allow-origin': '*' };
  }
  const headers: OutgoingHttpHeaders = { vary: 'Origin' };
  if (origin === undefined || !isAllowedOrigin(policy, origin)) return headers;
  headers['access-control-allow-origin'] = origin;
  if (policy.credentials) headers['access-control-allow-credentials'] = 'true';
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
    vary: 'Origin, Access-Control-Request-Headers',
    'access-control-allow-methods': CORS_ALLOWED_METHODS,
    'access-control-allow-headers': CORS_ALLOWED_HEADERS,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE),
  };
}
