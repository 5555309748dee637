/**
 * The hub server's request listener: the Mercure endpoint at the hub path,
 * `GET`/`HEAD` routes for the rest, 404 / 405 otherwise.
 *
 * While the server shuts down, a subscribe request is dropped without an
 * answer (a transient refusal, see `src/mercure/refusal.ts`): the client
 * reconnects, with `Last-Event-ID`, to whichever process answers next.
 *
 * Request heads node accepts but RFC 9112 refuses are refused here, on every
 * route: more than one `Host` header (§3.2: "A server MUST respond with a 400
 * … to any request message that contains more than one Host header field
 * line"). (Control characters in header values node refuses itself, and so
 * does the front door.)
 *
 * Requests pipelined on HTTP/1.1 go through `pipelining.ts` first: a
 * stream request is handled when its turn comes, not while queued.
 */
import type { Logger } from 'pino';
import { dropConnection, nodeRequestView } from '../mercure/answer-node.js';
import { redactTarget, type MercureHandler } from '../mercure/handler.js';
import { sendError } from '../mercure/node-reply.js';
import { hostProblem } from '../mercure/subscribe-request.js';
import { isSubscriptionApiPath } from '../mercure/subscription-api.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/adapters/node-http.js';
import { splitTarget } from '../response/request-target.js';
import { pipelineGuard } from './pipelining.js';
import type { Route } from './routes/route.js';

export interface RouterOptions {
  readonly hubPath: string;
  readonly mercure: MercureHandler;
  /** Path → route (`GET` and `HEAD`). */
  readonly routes: ReadonlyMap<string, Route>;
  /** Path → its `OPTIONS` answer (CORS preflights), for routes that take cross-origin requests. */
  readonly preflights?: ReadonlyMap<string, Route> | undefined;
  /** Serves the dashboard's files; `false` when `path` is not one of them. */
  readonly webUi: ((path: string, res: NodeSseResponse, head: boolean) => boolean) | undefined;
  readonly logger: Logger | undefined;
  /** Serve the subscription API (`{hubPath}/subscriptions…`, through `mercure`). @default false */
  readonly subscriptionApi?: boolean | undefined;
  /** Paths whose `GET` answer is a stream (besides the hub path). */
  readonly streamPaths?: ReadonlySet<string> | undefined;
  closing(): boolean;
}

/** The request listener (exceptions become a 500, logged). */
export function createRouter(
  options: RouterOptions,
): (req: NodeSseRequest, res: NodeSseResponse) => void {
  const { hubPath, mercure, routes, webUi, logger } = options;
  const pipelined = pipelineGuard(
    (req, path) =>
      req.method === 'GET' && (path === hubPath || options.streamPaths?.has(path) === true),
    logger,
  );

  function route(req: NodeSseRequest, res: NodeSseResponse): void {
    const { path } = splitTarget(req.url);
    const problem = hostProblem(nodeRequestView(req));
    if (problem !== undefined) {
      // HTTP/2 forbids connection-specific headers (and has no Host line).
      const close = req.httpVersionMajor === 1 ? { connection: 'close' } : undefined;
      sendError(res, 400, problem, close);
      return;
    }
    const method = req.method ?? 'GET';
    if (path === hubPath) {
      if (options.closing() && method === 'GET') dropConnection(req);
      else mercure(req, res);
      return;
    }
    if (options.subscriptionApi && isSubscriptionApiPath(path, hubPath)) {
      mercure(req, res);
      return;
    }
    const handler = routes.get(path);
    const preflight = method === 'OPTIONS' ? options.preflights?.get(path) : undefined;
    if (preflight !== undefined) {
      preflight(req, res, false);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const known = handler !== undefined || path === '/';
      sendError(res, known ? 405 : 404, `method ${method} not allowed on ${path}`, {
        allow: 'GET, HEAD',
      });
      return;
    }
    const head = method === 'HEAD';
    if (handler !== undefined) {
      handler(req, res, head);
      return;
    }
    if (webUi?.(path, res, head) === true) return;
    sendError(res, 404, `not found: ${path}`);
  }

  return (req, res) => {
    pipelined(req, res, splitTarget(req.url).path, () => {
      try {
        route(req, res);
      } catch (error) {
        logger?.error({ err: error, url: redactTarget(req.url) }, 'request failed');
        sendError(res, 500, 'internal server error');
      }
    });
  };
}
