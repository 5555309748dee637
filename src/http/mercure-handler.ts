/**
 * The Mercure endpoint as one request handler: `GET` subscribes, `POST`
 * publishes, `OPTIONS` answers CORS preflights, anything else is 405.
 *
 * Usable with node:http, the node:http2 compatibility API, and as
 * Connect/Express middleware (requests for other paths go to `next`).
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeSseRequest, NodeSseResponse, RawRequestHead } from '../server/index.js';
import { corsHeaders, CORS_ALLOWED_METHODS, isPreflight, preflightHeaders } from './cors.js';
import type { HubEndpoint } from './hub-endpoint.js';
import { isSseError, type SseErrorCode } from '../protocol/sse-error.js';
import { errorResponse, HttpError, refuseConnection, sendError } from './http-error.js';
import { resolveMercureOptions, type MercureHandlerOptions } from './options.js';
import { createPublishHandler } from './publish.js';
import { createSubscribeHandler } from './subscribe.js';

/** Errors a subscriber should retry after rather than give up on. */
const PASSING: ReadonlySet<SseErrorCode> = new Set([
  'SSE_ERR_TRANSPORT_UNAVAILABLE',
  'SSE_ERR_HUB_CLOSED',
]);

/** A request handler; `next` (middleware style) gets requests for other paths. */
export interface MercureHandler {
  (req: NodeSseRequest, res: NodeSseResponse, next?: (error?: unknown) => void): void;
  /**
   * Serves a subscribe request whose head the hub server's front door read,
   * on the bare socket. Resolves `false`, having written nothing, when the
   * request is refused; the caller then hands it to the node handler above.
   */
  subscribeRaw(head: RawRequestHead, socket: Socket): Promise<boolean>;
}

/** Splits a request target into path and query (never throws). */
export function parseTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const target = url ?? '/';
  const q = target.indexOf('?');
  const hash = target.indexOf('#');
  const end = hash === -1 ? target.length : hash;
  const path = q === -1 || q > end ? target.slice(0, end) : target.slice(0, q);
  const query = new URLSearchParams(q === -1 || q > end ? '' : target.slice(q + 1, end));
  return { path, query };
}

/** The request target with the `authorization` query parameter (a JWT) redacted, for logs. */
export function redactTarget(url: string | undefined): string {
  return (url ?? '/').replace(/([?&]authorization=)[^&#]*/gi, '$1[redacted]');
}

/** Answers an error: status and message from `errorResponse`, CORS headers kept. */
export function answerError(
  req: NodeSseRequest,
  res: NodeSseResponse,
  error: unknown,
  headers: OutgoingHttpHeaders,
  options: Pick<MercureHandlerOptions, 'logger' | 'onError'>,
): void {
  const { logger, onError } = options;
  const answer = errorResponse(error);
  onError?.(answer.status, answer.message);
  const context = { method: req.method, url: redactTarget(req.url), status: answer.status };
  if (answer.internal) logger?.error({ ...context, err: error }, 'request failed');
  else logger?.info({ ...context, reason: answer.message }, 'request refused');
  sendError(res, answer.status, answer.message, { ...headers, ...answer.headers });
}

/**
 * Creates the handler of the Mercure endpoint for `hub`.
 *
 * @example
 * const hub = createHub();
 * const mercure = createMercureHandler(hub, { jwtKey: process.env.JWT_KEY });
 * http.createServer((req, res) => mercure(req, res)).listen(3000);
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function createMercureHandler(
  hub: HubEndpoint,
  options: MercureHandlerOptions = {},
): MercureHandler {
  const resolved = resolveMercureOptions(options);
  const publish = createPublishHandler(hub, resolved);
  const subscribe = createSubscribeHandler(hub, resolved);

  const handler = (req: NodeSseRequest, res: NodeSseResponse, next?: (error?: unknown) => void) => {
    const { path, query } = parseTarget(req.url);
    if (path !== resolved.path) {
      if (next !== undefined) next();
      else sendError(res, 404, `not found: ${path}`);
      return;
    }
    const cors = corsHeaders(resolved.cors, req);
    if (req.method === 'OPTIONS') {
      const headers = isPreflight(req) ? preflightHeaders(resolved.cors, req) : undefined;
      res.writeHead(204, headers ?? { ...cors, allow: CORS_ALLOWED_METHODS });
      res.end();
      return;
    }
    let handling: Promise<void>;
    if (req.method === 'GET') handling = subscribe.node(req, res, query, cors);
    else if (req.method === 'POST') handling = publish(req, res, query, cors);
    else {
      handling = Promise.reject(
        new HttpError(405, `method ${String(req.method)} not allowed: use GET or POST`, {
          allow: CORS_ALLOWED_METHODS,
        }),
      );
    }
    handling.catch((error: unknown) => {
      if (req.method === 'GET' && isSseError(error) && PASSING.has(error.code)) {
        // The replay could not be read (Redis down) or the hub is closing:
        // a network error, so EventSource retries instead of giving up.
        resolved.logger?.warn(
          { url: redactTarget(req.url), code: error.code, reason: error.message },
          'subscribe request dropped: the hub cannot serve it right now',
        );
        resolved.onError?.(503, error.message);
        refuseConnection(req);
        return;
      }
      answerError(req, res, error, cors, resolved);
    });
  };
  return Object.assign(handler, {
    subscribeRaw(head: RawRequestHead, socket: Socket): Promise<boolean> {
      return subscribe.raw(
        head,
        socket,
        parseTarget(head.url).query,
        corsHeaders(resolved.cors, head),
      );
    },
  });
}
