/**
 * flask-sse's stream endpoint on a hub: `GET <path>?channel=<name>` streams
 * the channel's events, as flask-sse's blueprint does (same default channel
 * `sse`, same event fields), through the hub's one subscribe core
 * (`planSubscription` with the channel's topic as the only selector): the
 * same refusals, `Last-Event-ID` replay (header or `?lastEventID=`),
 * heartbeats, buffer limits and subscriber limit as the Mercure endpoint.
 *
 * ```js
 * app.get('/stream', (req, res) => serveFlaskSseStream(hub, req, res)); // Express, node:http
 * export const GET = (request) => serveFlaskSseStreamFetch(hub, request); // Fetch runtimes
 * ```
 *
 * Authorization: anonymous by default, as flask-sse (which has none): the
 * subscriber gets the channel's public updates. With `authorize` (e.g.
 * `createJwtAuthorizer({ jwtKey })`) the request is authorized as a Mercure
 * subscribe request: no token or a bad one is refused with the hub
 * endpoint's 401, and private updates reach only tokens whose
 * `mercure.subscribe` matches the channel's topic. (The bridge publishes
 * private updates when streams require a JWT: see `bridge.ts`.)
 *
 * The `topic` query parameters are ignored: a flask-sse stream is one
 * channel.
 */
import type { Logger } from 'pino';
import type { FetchRequestLike } from '../../response/adapters/fetch.js';
import type { NodeSseRequest, NodeSseResponse } from '../../response/adapters/node-http.js';
import type { SseHeaders } from '../../response/options.js';
import type { SseStream } from '../../response/sse-stream.js';
import { answerFetch, fetchRequestView } from '../../mercure/answer-fetch.js';
import { answerNode, nodeRequestView } from '../../mercure/answer-node.js';
import {
  planSubscription,
  type AuthorizeHook,
  type SubscribeHub,
  type SubscribeOutcome,
} from '../../mercure/subscribe-core.js';
import type { RequestView } from '../../mercure/subscribe-request.js';
import { DEFAULT_HUB_PATH } from '../../mercure/options.js';
import { channelTopic, checkTopicPrefix, requestedChannel } from './topic.js';

/** Options of {@link serveFlaskSseStream}. */
export interface FlaskSseStreamOptions {
  /**
   * Prefix of the channels' topics; must be the bridge's
   * (`createFlaskSseBridge({ topicPrefix })`).
   *
   * @default 'flask-sse:'
   */
  readonly topicPrefix?: string | undefined;
  /**
   * Authorizes the subscriber (see `AuthorizeHook`); e.g.
   * `createJwtAuthorizer({ jwtKey })` to require a Mercure JWT.
   *
   * @default undefined (anonymous: public updates only)
   */
  readonly authorize?: AuthorizeHook | undefined;
  /**
   * The path of the Mercure hub these streams belong to: a token's audience
   * and the `resource_metadata` of a refusal are the hub's.
   *
   * @default '/.well-known/mercure'
   */
  readonly hubPath?: string | undefined;
  /** Extra response headers (CORS), on the stream and on refusals alike. @default none */
  readonly headers?: SseHeaders | undefined;
  /** Logs connections at debug level. @default undefined */
  readonly logger?: Logger | undefined;
}

/** The subscribe plan of a flask-sse stream request (for custom entry points). */
export function planFlaskSseStream(
  hub: SubscribeHub,
  view: RequestView,
  options: FlaskSseStreamOptions = {},
): Promise<SubscribeOutcome> {
  const prefix = checkTopicPrefix(options.topicPrefix);
  return planSubscription(
    hub,
    { ...view, hubPath: options.hubPath ?? DEFAULT_HUB_PATH },
    {
      topics: [channelTopic(requestedChannel(view.url), prefix)],
      authorize: options.authorize,
      headers: options.headers,
    },
  );
}

/**
 * Serves one flask-sse stream request on node:http, Express or Connect (or
 * the node:http2 compatibility API). Resolves to the stream, or `undefined`
 * after a refusal (answered: 400/401/403/503 in plain text, or a dropped
 * connection when the hub cannot serve it right now).
 */
export async function serveFlaskSseStream(
  hub: SubscribeHub,
  req: NodeSseRequest,
  res: NodeSseResponse,
  options: FlaskSseStreamOptions = {},
): Promise<SseStream | undefined> {
  const outcome = await planFlaskSseStream(hub, nodeRequestView(req), options);
  return answerNode(req, res, outcome, options.headers, options.logger);
}

/** {@link serveFlaskSseStream} for Fetch runtimes: resolves to the `Response`. */
export async function serveFlaskSseStreamFetch(
  hub: SubscribeHub,
  request: FetchRequestLike & { readonly method?: string },
  options: FlaskSseStreamOptions = {},
): Promise<Response> {
  const outcome = await planFlaskSseStream(hub, fetchRequestView(request), options);
  return answerFetch(request, outcome, options.headers);
}
