/**
 * The subscription API ([spec] Subscription API) from your own routes, for a
 * hub created with `subscriptions` on: the same answers as the standalone
 * server's (`subscription-api.ts`).
 *
 * ```js
 * const hub = createHub({ subscriptions: { hubPath: '/events' } });
 * const authorize = createJwtAuthorizer({ jwtKey });
 * createServer((req, res) => {
 *   if (req.url.startsWith('/events/subscriptions')) serveSubscriptions(hub, req, res, { authorize });
 *   else if (req.url.startsWith('/events')) serveHub(hub, req, res, { authorize });
 * });
 * export const GET = (request) => serveSubscriptionsFetch(hub, request, { authorize }); // Fetch runtimes
 * ```
 *
 * Mount it at `{hubPath}/subscriptions` and below, `hubPath` being the
 * hub's (`createHub({ subscriptions: { hubPath } })`): the topics of the
 * subscription events and the API's paths are the same strings. Without an
 * `authorize` hook every request is refused (401): the list is private.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Hub } from '../hub/hub.js';
import type { FetchRequestLike } from '../response/adapters/fetch.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/adapters/node-http.js';
import type { SseHeaders } from '../response/options.js';
import { SseError } from '../protocol/sse-error.js';
import { fetchRefusal, fetchRequestView } from './answer-fetch.js';
import { nodeRequestView, writeNodeRefusal } from './answer-node.js';
import { sendBody } from './node-reply.js';
import { refusalFor } from './refusal.js';
import type { AuthorizeHook } from './subscribe-core.js';
import type { RequestView } from './subscribe-request.js';
import {
  answerSubscriptionApi,
  type ApiAnswer,
  type SubscriptionApiContext,
} from './subscription-api.js';

/** Options of {@link serveSubscriptions} and {@link serveSubscriptionsFetch}. */
export interface ServeSubscriptionsOptions {
  /**
   * Who the request comes from (e.g. `createJwtAuthorizer({ jwtKey })`): its
   * `subscribe` selectors must cover the requested path.
   *
   * @default undefined (every request is refused with 401)
   */
  readonly authorize?: AuthorizeHook | undefined;
  /** Extra response headers (CORS), on answers and refusals alike. @default none */
  readonly headers?: SseHeaders | undefined;
}

function contextFor(
  hub: Pick<Hub, 'activeSubscriptions' | 'transport'>,
  options: ServeSubscriptionsOptions,
): SubscriptionApiContext {
  return {
    hub,
    hubPath: hub.activeSubscriptions?.hubPath ?? '',
    authorize: options.authorize ?? (() => undefined),
    tokenRequired: () =>
      new SseError(
        'SSE_ERR_UNAUTHORIZED',
        'unauthorized: a token allowed to subscribe to this path is required',
      ),
    forbidden: (_view, error) => error,
  };
}

async function answer(
  hub: Pick<Hub, 'activeSubscriptions' | 'transport'>,
  view: RequestView,
  options: ServeSubscriptionsOptions,
): Promise<ApiAnswer> {
  return answerSubscriptionApi(view, contextFor(hub, options));
}

/** Answers one `GET`/`HEAD` of the subscription API on node:http, Express, Connect or Koa. */
export async function serveSubscriptions(
  hub: Pick<Hub, 'activeSubscriptions' | 'transport'>,
  req: NodeSseRequest,
  res: NodeSseResponse,
  options: ServeSubscriptionsOptions = {},
): Promise<void> {
  try {
    const { status, headers, body } = await answer(hub, nodeRequestView(req), options);
    const { 'content-type': type = 'application/json', ...rest } = headers;
    const extra = { ...(options.headers as OutgoingHttpHeaders | undefined), ...rest };
    sendBody(res, status, type, body, extra, req.method === 'HEAD');
  } catch (error) {
    writeNodeRefusal(res, { ...refusalFor(error), transient: false }, options.headers);
  }
}

/** {@link serveSubscriptions} for Fetch runtimes: resolves to the `Response`. */
export async function serveSubscriptionsFetch(
  hub: Pick<Hub, 'activeSubscriptions' | 'transport'>,
  request: FetchRequestLike & { readonly method?: string },
  options: ServeSubscriptionsOptions = {},
): Promise<Response> {
  try {
    const { status, headers, body } = await answer(hub, fetchRequestView(request), options);
    const all = new Headers();
    for (const [name, value] of Object.entries({ ...options.headers, ...headers })) {
      if (value !== undefined)
        all.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    return new Response(status === 304 || request.method === 'HEAD' ? null : body, {
      status,
      headers: all,
    });
  } catch (error) {
    return fetchRefusal({ ...refusalFor(error), transient: false }, options.headers);
  }
}
