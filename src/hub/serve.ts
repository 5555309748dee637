/**
 * HTTP subscribe endpoints on top of `hub.prepare()`: read the request
 * (Mercure query parameters and headers), authorize, then open the SSE
 * response with the `Last-Event-ID` response header. One function per runtime,
 * all sharing {@link subscribeFromRequest}; adapters translate only.
 *
 * Request → subscription ([spec] Subscription, Reconciliation):
 * - `topic` query parameters (repeatable): the topic selectors;
 * - the `Last-Event-ID` header, else the `lastEventID` query parameter (the
 *   legacy `Last-Event-ID` parameter is read too);
 * - claims: `options.claims` when given, else the hub's `authorize` hook,
 *   else anonymous.
 *
 * Errors before the stream opens answer a plain-text response whose status
 * comes from the error code (`httpStatusForError`) and whose body names the
 * problem: 400 (topic missing, too many topics), 401, 403, 503 (subscriber
 * limit, transport, hub closed).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SseError, isSseError } from '../protocol/sse-error.js';
import {
  createFastifySseStream,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from '../server/adapters/fastify.js';
import { createFetchSseStream, type FetchRequestLike } from '../server/adapters/fetch.js';
import {
  createSseStream,
  type NodeSseRequest,
  type NodeSseResponse,
} from '../server/adapters/node-http.js';
import type { SseHeaders, SseStreamOptions } from '../server/options.js';
import type { SseStream } from '../server/sse-stream.js';
import type { Hub, PreparedSubscriber } from './hub.js';
import { httpStatusForError } from './http-status.js';
import type { SubscribeRequestInfo } from './options.js';
import type { SubscriberClaims, SubscribeInput } from './types.js';

/** Options of `hub.serve()`, `hub.serveFetch()` and `hub.serveFastify()`. */
export interface ServeOptions {
  /**
   * The subscriber's claims, already verified by the caller; skips the hub's
   * `authorize` hook. `null` refuses the request with 401.
   *
   * @default undefined (ask the `authorize` hook; anonymous without one)
   */
  claims?: SubscriberClaims | null | undefined;
  /**
   * Topic selectors to use instead of the request's `topic` parameters.
   *
   * @default the `topic` query parameters
   */
  topics?: readonly string[] | undefined;
  /**
   * Extra response headers (CORS and the like), on the stream and on error
   * responses alike.
   *
   * @default undefined
   */
  headers?: SseHeaders | undefined;
}

/** The query parameters the Mercure protocol reads. */
export const TOPIC_PARAM = 'topic';
export const LAST_EVENT_ID_PARAM = 'lastEventID';
const LEGACY_LAST_EVENT_ID_PARAM = 'Last-Event-ID';

/** Parses the query part of `url` (a path with query, or a full URL). */
function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  if (q === -1) return new URLSearchParams();
  const hash = url.indexOf('#', q);
  return new URLSearchParams(hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash));
}

/** Reads a subscribe request: topics and last event ID. Pure. */
export function readSubscribeRequest(
  url: string,
  header: (name: string) => string | undefined,
  topics?: readonly string[],
): SubscribeInput {
  const query = queryOf(url);
  // [spec] "If both the Last-Event-ID HTTP header and the lastEventID query
  // parameter are present, the HTTP header MUST take precedence."
  const lastEventId =
    nonEmpty(header('last-event-id')) ??
    nonEmpty(query.get(LAST_EVENT_ID_PARAM)) ??
    nonEmpty(query.get(LEGACY_LAST_EVENT_ID_PARAM));
  return { topics: topics ?? query.getAll(TOPIC_PARAM), lastEventId };
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** The outcome of reading, authorizing and preparing one request. */
type Prepared =
  | { readonly ok: true; readonly prepared: PreparedSubscriber }
  | {
      readonly ok: false;
      readonly status: number;
      readonly message: string;
      readonly error?: unknown;
    };

/**
 * Reads, authorizes and prepares a subscriber for one request. Never throws:
 * failures come back as a status and a message for the client.
 */
export async function subscribeFromRequest(
  hub: Hub,
  request: {
    method: string;
    url: string;
    header: (name: string) => string | undefined;
    raw: unknown;
  },
  options: ServeOptions,
): Promise<Prepared> {
  try {
    const input = readSubscribeRequest(request.url, request.header, options.topics);
    let claims: SubscriberClaims | null | undefined = options.claims;
    const authorize = hub.options.authorize;
    if (claims === undefined && authorize !== undefined) {
      const info: SubscribeRequestInfo = { ...request, input };
      claims = await authorize(info);
    }
    if (claims === null) {
      throw new SseError('SSE_ERR_UNAUTHORIZED', 'Unauthorized: valid credentials are required.');
    }
    const prepared = await hub.prepare({ ...input, claims });
    return { ok: true, prepared };
  } catch (error) {
    if (isSseError(error)) {
      return { ok: false, status: httpStatusForError(error.code), message: error.message };
    }
    return { ok: false, status: 500, message: 'Internal Server Error', error };
  }
}

function streamOptions(
  hub: Hub,
  lastEventId: string | undefined,
  extra: SseHeaders | undefined,
): SseStreamOptions {
  const { heartbeatInterval, maxBufferedBytes, retry } = hub.options;
  // [spec] "When the request contains a Last-Event-ID HTTP header or a
  // lastEventID query parameter the hub MUST set a Last-Event-ID header on
  // the HTTP response."
  const headers = lastEventId === undefined ? extra : { ...extra, 'last-event-id': lastEventId };
  return { heartbeatInterval, maxBufferedBytes, retry, headers, lastEventIdParam: false };
}

const TEXT_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-store',
} as const;

function nodeHeader(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}

function settle(result: Prepared & { ok: false }): void {
  // Unexpected errors (not an SseError) are the caller's to see.
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrown as caught
  if (result.error !== undefined) throw result.error;
}

/**
 * `hub.serve(req, res, options)`: node:http, Express, Connect, Koa
 * (`ctx.req`/`ctx.res`) and the node:http2 compatibility API.
 */
export async function serveNode(
  hub: Hub,
  req: NodeSseRequest,
  res: NodeSseResponse,
  options: ServeOptions = {},
): Promise<SseStream | undefined> {
  const result = await subscribeFromRequest(
    hub,
    { method: req.method ?? 'GET', url: req.url ?? '/', header: nodeHeader(req.headers), raw: req },
    options,
  );
  if (!result.ok) {
    if (!res.headersSent && !res.writableEnded) {
      const head = { ...options.headers, ...TEXT_HEADERS };
      // Both response kinds share this call shape; the cast picks one overload.
      (res as import('node:http').ServerResponse).writeHead(result.status, head as never);
      res.end(`${result.message}\n`);
    }
    settle(result);
    return undefined;
  }
  const { prepared } = result;
  let stream: SseStream;
  try {
    stream = createSseStream(req, res, streamOptions(hub, prepared.lastEventId, options.headers));
  } catch (error) {
    prepared.cancel();
    throw error;
  }
  prepared.attach(stream);
  return stream;
}

/** `hub.serveFetch(request, options)`: Hono, Bun, Deno, Next.js route handlers, Workers. */
export async function serveFetch(
  hub: Hub,
  request: FetchRequestLike & { readonly method?: string },
  options: ServeOptions = {},
): Promise<Response> {
  const result = await subscribeFromRequest(
    hub,
    {
      method: request.method ?? 'GET',
      url: request.url,
      header: (name) => request.headers.get(name) ?? undefined,
      raw: request,
    },
    options,
  );
  if (!result.ok) {
    const headers = new Headers();
    const all: SseHeaders = { ...options.headers, ...TEXT_HEADERS };
    for (const [name, value] of Object.entries(all)) {
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) headers.append(name, item);
      else headers.set(name, String(value));
    }
    const response = new Response(`${result.message}\n`, { status: result.status, headers });
    settle(result);
    return response;
  }
  const { prepared } = result;
  let opened: ReturnType<typeof createFetchSseStream>;
  try {
    opened = createFetchSseStream(
      request,
      streamOptions(hub, prepared.lastEventId, options.headers),
    );
  } catch (error) {
    prepared.cancel();
    throw error;
  }
  prepared.attach(opened.stream);
  return opened.response;
}

/** The part of a Fastify reply `serveFastify` uses (a `FastifyReply` fits). */
export interface FastifyReplyForHub extends FastifyReplyLike {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  send(body: string): unknown;
}

/** The part of a Fastify request `serveFastify` uses. */
export interface FastifyRequestForHub extends FastifyRequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
}

/** `hub.serveFastify(request, reply, options)`: Fastify 4 and 5 (the reply is hijacked on success). */
export async function serveFastify(
  hub: Hub,
  request: FastifyRequestForHub,
  reply: FastifyReplyForHub,
  options: ServeOptions = {},
): Promise<SseStream | undefined> {
  const result = await subscribeFromRequest(
    hub,
    { method: request.method, url: request.url, header: nodeHeader(request.headers), raw: request },
    options,
  );
  if (!result.ok) {
    reply.code(result.status);
    const all: SseHeaders = { ...options.headers, ...TEXT_HEADERS };
    for (const [name, value] of Object.entries(all)) {
      if (value !== undefined)
        reply.header(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    reply.send(`${result.message}\n`);
    settle(result);
    return undefined;
  }
  const { prepared } = result;
  let stream: SseStream;
  try {
    stream = createFastifySseStream(
      request,
      reply,
      streamOptions(hub, prepared.lastEventId, options.headers),
    );
  } catch (error) {
    prepared.cancel();
    throw error;
  }
  prepared.attach(stream);
  return stream;
}
