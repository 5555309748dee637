/**
 * `GET /stream?channel=<name>` (the `flaskSse.path` option): flask-sse's
 * stream endpoint, served from the hub (`src/bridges/flask-sse/stream.ts`,
 * on the subscribe core): the events the flask-sse bridge publishes for that
 * channel, with `Last-Event-ID` replay, heartbeats and the hub's limits.
 * `OPTIONS` answers CORS preflights as the Mercure endpoint does; `HEAD` is
 * 405, as on the Mercure endpoint.
 *
 * Authorization (`flaskSse.auth`): `'anonymous'` (default, as flask-sse):
 * every request is served, tokens are not looked at; `'jwt'`: the Mercure
 * endpoint's JWT rules (same token sources, keys and messages), except that
 * a token is required whatever `anonymous` says.
 *
 * While the server shuts down, requests are dropped unanswered (the client
 * reconnects elsewhere), as on the Mercure endpoint.
 */
import type { Logger } from 'pino';
import type { Hub } from '../../hub/hub.js';
import { planFlaskSseStream } from '../../bridges/flask-sse/stream.js';
import { checkTopicPrefix } from '../../bridges/flask-sse/topic.js';
import { answerNode, dropConnection, nodeRequestView } from '../../mercure/answer-node.js';
import { corsHeaders, isPreflight, preflightHeaders } from '../../mercure/cors.js';
import { redactTarget } from '../../mercure/handler.js';
import { jwtAuthorizer } from '../../mercure/jwt-authorizer.js';
import { sendError } from '../../mercure/node-reply.js';
import { resolveMercureOptions, type MercureHandlerOptions } from '../../mercure/options.js';
import { SseError } from '../../protocol/sse-error.js';
import type { Route } from './route.js';

/** Default of {@link FlaskSseRouteOptions.path}. */
export const DEFAULT_FLASK_SSE_PATH = '/stream';

/** The `flaskSse` option of the hub server. */
export interface FlaskSseRouteOptions {
  /** Path of the stream endpoint. @default '/stream' */
  path?: string | undefined;
  /**
   * `'anonymous'`: anyone may stream a channel (flask-sse has no
   * authorization); `'jwt'`: a Mercure JWT is required, and private updates
   * reach only tokens whose `mercure.subscribe` matches the channel's topic.
   *
   * @default 'anonymous'
   */
  auth?: 'anonymous' | 'jwt' | undefined;
  /** Prefix of the channels' topics (the bridge's). @default 'flask-sse:' */
  topicPrefix?: string | undefined;
}

const ALLOWED = 'GET, OPTIONS';

function invalid(option: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', `"${option}" ${message}`, { field: option });
}

/**
 * The route and its preflight answer, for `hub` with the server's options.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function flaskSseStreamRoute(
  hub: Hub,
  options: MercureHandlerOptions & { readonly flaskSse: FlaskSseRouteOptions },
  closing: () => boolean,
): { path: string; route: Route; preflight: Route } {
  const { flaskSse } = options;
  const path = flaskSse.path ?? DEFAULT_FLASK_SSE_PATH;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#]/.test(path) || path === '/') {
    throw invalid('flaskSse.path', 'must be an absolute path other than / without a query');
  }
  // Checked at run time too: JavaScript callers pass anything.
  const auth: string = flaskSse.auth ?? 'anonymous';
  if (auth !== 'anonymous' && auth !== 'jwt') {
    throw invalid('flaskSse.auth', 'must be "anonymous" or "jwt"');
  }
  const topicPrefix = checkTopicPrefix(flaskSse.topicPrefix, 'flaskSse.topicPrefix');
  const resolved = resolveMercureOptions({
    ...options,
    maxBufferedBytes: options.maxBufferedBytes ?? hub.options.maxBufferedBytes,
  });
  if (auth === 'jwt' && resolved.subscriberKey === undefined) {
    throw invalid('flaskSse.auth', '"jwt" needs a subscriber key (jwtKey or subscriberJwtKey)');
  }
  const authorize = auth === 'jwt' ? jwtAuthorizer({ ...resolved, anonymous: false }) : undefined;
  const logger: Logger | undefined = resolved.logger;
  // The endpoint's stream settings win over the hub's, as on the Mercure endpoint.
  const subscribeHub = {
    prepare: hub.prepare.bind(hub),
    options: {
      ...hub.options,
      heartbeatInterval: resolved.heartbeatInterval,
      maxBufferedBytes: resolved.maxBufferedBytes ?? hub.options.maxBufferedBytes,
    },
  };

  const route: Route = (req, res, head) => {
    if (head) {
      sendError(res, 405, `method HEAD not allowed on ${path}: use GET`, { allow: ALLOWED });
      return;
    }
    if (closing()) {
      dropConnection(req);
      return;
    }
    const cors = corsHeaders(resolved.cors, req);
    const view = nodeRequestView(req);
    const hubPath = resolved.path;
    planFlaskSseStream(subscribeHub, view, { topicPrefix, authorize, headers: cors, hubPath }).then(
      (outcome) => {
        if (!outcome.ok) {
          const { refusal } = outcome;
          resolved.onError?.(refusal.status, refusal.message);
          const context = { url: redactTarget(view.url), status: refusal.status };
          if (refusal.internal) logger?.error({ ...context, err: refusal.cause }, 'request failed');
          else if (refusal.transient) {
            logger?.warn(
              { ...context, code: refusal.code, reason: refusal.message },
              'flask-sse stream request dropped: the hub cannot serve it right now',
            );
          } else logger?.info({ ...context, reason: refusal.message }, 'request refused');
        }
        answerNode(req, res, outcome, cors, logger);
      },
      (error: unknown) => {
        // planSubscription never rejects; a failure here is writing the answer.
        logger?.error({ err: error, url: redactTarget(req.url) }, 'flask-sse stream failed');
        dropConnection(req);
      },
    );
  };

  const preflight: Route = (req, res) => {
    const headers = isPreflight(req) ? preflightHeaders(resolved.cors, req) : undefined;
    res.writeHead(
      204,
      headers === undefined
        ? { ...corsHeaders(resolved.cors, req), allow: ALLOWED }
        : { ...headers, 'access-control-allow-methods': ALLOWED },
    );
    res.end();
  };

  return { path, route, preflight };
}
