/**
 * Serving a hub's subscribers from your own routes: one function per
 * runtime, all on the subscribe core (`planSubscription`), so each answers a
 * request exactly as the standalone server does.
 *
 * ```js
 * createServer((req, res) => serveHub(hub, req, res));          // node:http, Express, Connect
 * app.get('/events', (request, reply) => serveHubFastify(hub, request, reply));
 * export const GET = (request) => serveHubFetch(hub, request);   // Fetch runtimes
 * ```
 *
 * The request: `topic` query parameters (the selectors), `Last-Event-ID`
 * (else `?lastEventID=`). Authorization: the `claims` option, else the
 * `authorize` hook (e.g. `createJwtAuthorizer()` for Mercure JWTs), else
 * anonymous (public updates only). A refusal answers a plain-text 400 / 401 /
 * 403 / 503 naming the problem; a transient one (the transport is
 * unreachable, the hub is closing) drops the connection so `EventSource` retries (see
 * `refusal.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Hub } from '../hub/hub.js';
import {
  createFastifySseStream,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from '../response/adapters/fastify.js';
import type { FetchRequestLike } from '../response/adapters/fetch.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/adapters/node-http.js';
import type { SseHeaders } from '../response/options.js';
import type { SseStream } from '../response/sse-stream.js';
import { answerFetch, fetchRequestView } from './answer-fetch.js';
import { answerNode, dropConnection, nodeRequestView } from './answer-node.js';
import { REFUSAL_HEADERS, refusalBody, type Refusal } from './refusal.js';
import {
  planSubscription,
  startSubscription,
  type SubscribeOutcome,
  type SubscribePolicy,
} from './subscribe-core.js';

/** Options of {@link serveHub}, {@link serveHubFetch} and {@link serveHubFastify}. */
export type ServeHubOptions = SubscribePolicy;

/** Unexpected errors (not an `SseError`) are the caller's to see, after the 500. */
function rethrowInternal(outcome: SubscribeOutcome): void {
  if (!outcome.ok && outcome.refusal.internal) throw outcome.refusal.cause;
}

/**
 * Serves one subscribe request on node:http, Express, Connect, Koa
 * (`ctx.req`/`ctx.res`) or the node:http2 compatibility API. Resolves to the
 * stream, or `undefined` after a refusal; rejects only for unexpected errors
 * (after answering 500).
 */
export async function serveHub(
  hub: Hub,
  req: NodeSseRequest,
  res: NodeSseResponse,
  options: ServeHubOptions = {},
): Promise<SseStream | undefined> {
  const outcome = await planSubscription(hub, nodeRequestView(req), options);
  const stream = answerNode(req, res, outcome, options.headers);
  rethrowInternal(outcome);
  return stream;
}

/** {@link serveHub} for Fetch runtimes (Hono, Bun, Deno, Next.js, Workers): resolves to the `Response`. */
export async function serveHubFetch(
  hub: Hub,
  request: FetchRequestLike & { readonly method?: string },
  options: ServeHubOptions = {},
): Promise<Response> {
  const outcome = await planSubscription(hub, fetchRequestView(request), options);
  const response = answerFetch(request, outcome, options.headers);
  rethrowInternal(outcome);
  return response;
}

/** The part of a Fastify reply {@link serveHubFastify} uses (a `FastifyReply` fits). */
export interface FastifyReplyForHub extends FastifyReplyLike {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  send(body: string): unknown;
}

/** The part of a Fastify request {@link serveHubFastify} uses. */
export interface FastifyRequestForHub extends FastifyRequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
}

function sendFastifyRefusal(
  reply: FastifyReplyForHub,
  refusal: Refusal,
  extra: SseHeaders | undefined,
): void {
  reply.code(refusal.status);
  const all: SseHeaders = { ...extra, ...refusal.headers, ...REFUSAL_HEADERS };
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) {
      reply.header(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
  }
  reply.send(refusalBody(refusal));
}

/** {@link serveHub} for Fastify 4 and 5: `return serveHubFastify(hub, request, reply)` in a route handler. */
export async function serveHubFastify(
  hub: Hub,
  request: FastifyRequestForHub,
  reply: FastifyReplyForHub,
  options: ServeHubOptions = {},
): Promise<SseStream | undefined> {
  const outcome = await planSubscription(
    hub,
    { ...nodeRequestView(request.raw, request), url: request.url, method: request.method },
    options,
  );
  if (!outcome.ok) {
    if (outcome.refusal.transient) {
      reply.hijack();
      dropConnection(request.raw);
    } else {
      sendFastifyRefusal(reply, outcome.refusal, options.headers);
    }
    rethrowInternal(outcome);
    return undefined;
  }
  const { plan } = outcome;
  let stream: SseStream;
  try {
    stream = createFastifySseStream(request, reply, plan.streamOptions);
  } catch (error) {
    plan.prepared.cancel();
    throw error;
  }
  startSubscription(stream, plan);
  return stream;
}
