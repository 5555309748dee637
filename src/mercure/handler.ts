/**
 * The Mercure endpoint as one request handler: `GET` subscribes, `POST`
 * publishes, `OPTIONS` answers CORS preflights, anything else is 405.
 *
 * Usable with node:http, the node:http2 compatibility API, and as
 * Connect/Express middleware (requests for other paths go to `next`); the hub
 * server's front door calls {@link MercureHandler.subscribeRaw} for the
 * subscribe requests it serves on the bare socket. Every subscribe request,
 * whatever the path, goes through `planSubscription` with the JWT authorizer:
 * same request, same answer.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeSseRequest, NodeSseResponse } from '../response/adapters/node-http.js';
import type { RawRequestHead } from '../response/adapters/raw-socket.js';
import { splitTarget } from '../response/request-target.js';
import { answerNode, dropConnection, nodeRequestView, writeNodeRefusal } from './answer-node.js';
import { answerRaw, rawRequestView } from './answer-raw.js';
import { corsHeaders, CORS_ALLOWED_METHODS, isPreflight, preflightHeaders } from './cors.js';
import type { HubEndpoint } from './hub-endpoint.js';
import { jwtAuthorizer } from './jwt-authorizer.js';
import { challenge, tokenRequired, type RequestPlace } from './mercure-auth.js';
import {
  resolveMercureOptions,
  type MercureHandlerOptions,
  type ResolvedMercureOptions,
} from './options.js';
import { createPublishHandler } from './publish.js';
import { HttpError, refusalFor, type Refusal } from './refusal.js';
import { sendBody, sendError } from './node-reply.js';
import { planSubscription, type SubscribePolicy } from './subscribe-core.js';
import { hubUrlOf, type RequestView } from './subscribe-request.js';
import {
  answerSubscriptionApi,
  isSubscriptionApiPath,
  type SubscriptionApiContext,
} from './subscription-api.js';

/** A request handler; `next` (middleware style) gets requests for other paths. */
export interface MercureHandler {
  (req: NodeSseRequest, res: NodeSseResponse, next?: (error?: unknown) => void): void;
  /**
   * Serves a subscribe request whose head the hub server's front door read,
   * on the bare socket: the stream, or the refusal (then the connection
   * closes).
   */
  subscribeRaw(head: RawRequestHead, socket: Socket): Promise<void>;
  /** The endpoint's options, checked and with their defaults. */
  readonly settings: ResolvedMercureOptions;
}

/** The request target with the `authorization` query parameter (a JWT) redacted, for logs. */
export function redactTarget(url: string | undefined): string {
  return (url ?? '/').replace(/([?&]authorization=)[^&#]*/gi, '$1[redacted]');
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
  const { logger, onError } = resolved;
  const publish = createPublishHandler(hub, resolved);
  const authorize = jwtAuthorizer(resolved);
  const maxBufferedBytes = resolved.maxBufferedBytes;
  // The stream settings of the endpoint's options win over the hub's.
  const subscribeHub = {
    prepare: hub.prepare.bind(hub),
    options: {
      ...hub.options,
      heartbeatInterval: resolved.heartbeatInterval,
      ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
    },
  };

  /** Logs and counts a refusal; `view` names the request. */
  function report(view: RequestView, refusal: Refusal): void {
    onError?.(refusal.status, refusal.message);
    const context = { method: view.method, url: redactTarget(view.url), status: refusal.status };
    if (refusal.internal) logger?.error({ ...context, err: refusal.cause }, 'request failed');
    else if (refusal.transient) {
      logger?.warn(
        { ...context, code: refusal.code, reason: refusal.message },
        'subscribe request dropped: the hub cannot serve it right now',
      );
    } else {
      // A 1.0 challenge tells the client only "invalid token"; the log says why.
      const why = hiddenReason(refusal);
      logger?.info(
        { ...context, reason: refusal.message, ...(why === undefined ? {} : { why }) },
        'request refused',
      );
    }
  }

  async function subscribe(view: RequestView, cors: OutgoingHttpHeaders) {
    const policy: SubscribePolicy = { authorize, headers: cors, protocol: resolved.protocol };
    const outcome = await planSubscription(subscribeHub, view, policy);
    if (!outcome.ok) report(view, outcome.refusal);
    return outcome;
  }

  const placeOf = (view: RequestView): RequestPlace => ({
    header: view.header,
    query: splitTarget(view.url).query,
    hubUrl: hubUrlOf(view),
  });
  const api: SubscriptionApiContext | undefined =
    hub.activeSubscriptions === undefined || hub.transport === undefined
      ? undefined
      : {
          hub: { activeSubscriptions: hub.activeSubscriptions, transport: hub.transport },
          hubPath: resolved.path,
          authorize,
          tokenRequired: (view) =>
            tokenRequired(
              resolved,
              placeOf(view),
              `missing token: send "Authorization: Bearer <jwt>" or the "${resolved.cookieName}" cookie`,
            ),
          forbidden: (view, error) => challenge(resolved, placeOf(view), error),
        };

  /** `GET`/`HEAD` on the subscription API ([spec] Subscription API). */
  function serveApi(
    req: NodeSseRequest,
    res: NodeSseResponse,
    view: RequestView,
    context: SubscriptionApiContext,
    cors: OutgoingHttpHeaders,
  ): void {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      const headers = isPreflight(req) ? preflightHeaders(resolved.cors, req) : undefined;
      res.writeHead(204, headers ?? { ...cors, allow: 'GET, HEAD, OPTIONS' });
      res.end();
      return;
    }
    const answering =
      method === 'GET' || method === 'HEAD'
        ? answerSubscriptionApi(view, context)
        : Promise.reject(
            new HttpError(405, `method ${method} not allowed: use GET`, {
              allow: 'GET, HEAD, OPTIONS',
            }),
          );
    answering.then(
      (answer) => {
        const { 'content-type': type = 'application/json', ...headers } = answer.headers;
        sendBody(res, answer.status, type, answer.body, { ...cors, ...headers }, method === 'HEAD');
      },
      (error: unknown) => {
        const refusal = { ...refusalFor(error), transient: false };
        report(view, refusal);
        writeNodeRefusal(res, refusal, cors);
      },
    );
  }

  const handler = (req: NodeSseRequest, res: NodeSseResponse, next?: (error?: unknown) => void) => {
    const { path } = splitTarget(req.url);
    if (api !== undefined && isSubscriptionApiPath(path, resolved.path)) {
      serveApi(req, res, nodeRequestView(req), api, corsHeaders(resolved.cors, req));
      return;
    }
    if (path !== resolved.path) {
      if (next !== undefined) next();
      else sendError(res, 404, `not found: ${path}`);
      return;
    }
    const cors = corsHeaders(resolved.cors, req);
    const view = nodeRequestView(req);
    if (req.method === 'OPTIONS') {
      const headers = isPreflight(req) ? preflightHeaders(resolved.cors, req) : undefined;
      res.writeHead(204, headers ?? { ...cors, allow: CORS_ALLOWED_METHODS });
      res.end();
      return;
    }
    if (req.method === 'GET' || req.method === 'QUERY') {
      void subscribe(view, cors).then(
        (outcome) => {
          answerNode(req, res, outcome, cors, logger);
        },
        (error: unknown) => {
          // planSubscription never rejects; a failure here is writing the answer.
          logger?.error({ err: error, url: redactTarget(req.url) }, 'subscribe failed');
          dropConnection(req);
        },
      );
      return;
    }
    const handling =
      req.method === 'POST'
        ? publish(req, res, splitTarget(req.url).query, cors)
        : Promise.reject(
            new HttpError(405, `method ${String(req.method)} not allowed: use GET, QUERY or POST`, {
              allow: CORS_ALLOWED_METHODS,
            }),
          );
    handling.catch((error: unknown) => {
      const refusal = refusalFor(error);
      // A publisher is told, with a status: 503 when the transport is away.
      report(view, { ...refusal, transient: false });
      writeNodeRefusal(res, refusal, cors);
    });
  };

  return Object.assign(handler, {
    settings: resolved,
    async subscribeRaw(head: RawRequestHead, socket: Socket): Promise<void> {
      const cors = corsHeaders(resolved.cors, { headers: head.headers });
      const outcome = await subscribe(rawRequestView(head), cors);
      answerRaw(socket, head, outcome, cors, logger);
    },
  });
}

/** The reason a refusal's message does not tell the client (a token's failure), for the log. */
function hiddenReason(refusal: Refusal): string | undefined {
  const reasons: string[] = [];
  let cause: unknown = refusal.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth += 1) {
    if (cause.message !== refusal.message) reasons.push(cause.message);
    cause = cause.cause;
  }
  return reasons.length === 0 ? undefined : reasons.join(': ');
}
