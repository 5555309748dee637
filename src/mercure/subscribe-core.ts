/**
 * The one path from a subscribe request to a subscription, for every entry
 * point: embedded `serveHub*` (node:http, Express, Fastify, Fetch), the
 * standalone server through node:http and HTTP/2, and its front door on the
 * bare socket. Same request, same answer, whatever the path.
 *
 * Steps, each of which may refuse (a typed {@link Refusal}):
 * 0. the request head: one valid `Host` (`hostProblem`);
 * 1. read the request (`readSubscribeRequest`: topics, last event ID);
 * 2. authorize: the `claims` option, else the `authorize` hook, else anonymous;
 * 3. the hub checks the selectors and capacity, registers the subscriber and
 *    reads the first page of its replay (`hub.prepare`);
 * 4. the stream's options: SSE headers, the caller's extra headers (CORS),
 *    `Cache-Control: private, …` ([spec] answers to requests that may carry a
 *    token in the URL SHOULD be private), `Last-Event-ID` ([spec]
 *    Reconciliation), the hub's heartbeat, buffer limit and `retry`.
 *
 * Entry points then only write bytes: a refusal's status and message (or a
 * dropped connection for a transient one, see `refusal.ts`), or the stream,
 * started with {@link startSubscription}.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#subscription
 */
import type { Logger } from 'pino';
import type { Hub, PreparedSubscriber } from '../hub/hub.js';
import type { SubscriberClaims } from '../hub/types.js';
import { SseError } from '../protocol/sse-error.js';
import { encodeHeaderValue } from '../response/last-event-id.js';
import type { SseHeaders, SseStreamOptions } from '../response/options.js';
import type { SseStream } from '../response/sse-stream.js';
import { checkFormHeaders } from './form-body.js';
import type { MercureProtocol } from './options.js';
import { HttpError, refusalFor, type Refusal } from './refusal.js';
import {
  hostProblem,
  readSubscribeRequest,
  type RequestView,
  type SubscribeRequest,
} from './subscribe-request.js';

/** What the `authorize` hook sees of a subscribe request. */
export interface SubscribeRequestInfo extends RequestView {
  /** What the request asks for: topics and last event ID. */
  readonly input: SubscribeRequest;
}

/**
 * A subscriber's authorization: its claims (private topic selectors,
 * payload) and, optionally, when it ends. [spec] "If the presented JWS
 * contains an expiration time in the standard `exp` claim, the hub MUST close
 * the connection at that time."
 */
export interface SubscriberAuthorization extends SubscriberClaims {
  /** When the stream must close, in ms since the epoch. @default undefined (never) */
  readonly expiresAt?: number | undefined;
}

/**
 * Decides what a subscriber may receive. Returns its authorization, or
 * `undefined` for an anonymous subscriber (public updates only), or `null`
 * to refuse the request with 401. Throwing an `SseError` refuses with its
 * code's status and message (`SSE_ERR_FORBIDDEN` → 403, `SSE_ERR_UNAUTHORIZED`
 * → 401, …); any other error answers 500 with a generic message.
 *
 * Security contract: it is the only authorization applied when no `claims`
 * are given; it must verify credentials itself.
 */
export type AuthorizeHook = (
  request: SubscribeRequestInfo,
) =>
  SubscriberAuthorization | null | undefined | Promise<SubscriberAuthorization | null | undefined>;

/** How an entry point subscribes: authorization and extra headers. */
export interface SubscribePolicy {
  /**
   * The subscriber's claims, already verified by the caller; skips
   * `authorize`. `null` refuses the request with 401.
   *
   * @default undefined (ask `authorize`; anonymous without it)
   */
  readonly claims?: SubscriberAuthorization | null | undefined;
  /** See {@link AuthorizeHook}. @default undefined (every subscriber is anonymous) */
  readonly authorize?: AuthorizeHook | undefined;
  /** Selectors to use instead of the request's `topic` parameters. @default the request's */
  readonly topics?: readonly string[] | undefined;
  /** Extra response headers (CORS), on the stream and on refusals alike. @default none */
  readonly headers?: SseHeaders | undefined;
  /**
   * The dialect(s) of the Mercure protocol requests are read in (see
   * `subscribe-request.ts`): `both`, `1.0` or `0.x`.
   *
   * @default 'both'
   */
  readonly protocol?: MercureProtocol | undefined;
}

/** An accepted subscription: registered with the hub, its stream not yet open. */
export interface SubscriptionPlan {
  readonly prepared: PreparedSubscriber;
  /** The stream's options: headers, heartbeat, buffer limit, `retry`. */
  readonly streamOptions: SseStreamOptions;
  readonly topics: readonly string[];
  /** The last event ID the client sent (decoded). */
  readonly lastEventId: string | undefined;
  readonly anonymous: boolean;
  readonly expiresAt: number | undefined;
}

/** A plan, or a refusal to answer. */
export type SubscribeOutcome =
  | { readonly ok: true; readonly plan: SubscriptionPlan }
  | { readonly ok: false; readonly refusal: Refusal };

/** What the core needs of a hub. */
export type SubscribeHub = Pick<Hub, 'prepare' | 'options'>;

/** [spec] answers to requests that may carry a token in the URL SHOULD be `private`. */
export const SUBSCRIBE_CACHE_CONTROL = 'private, no-cache, no-store, must-revalidate, max-age=0';

function unauthorized(): SseError {
  return new SseError('SSE_ERR_UNAUTHORIZED', 'unauthorized: valid credentials are required');
}

/**
 * [spec] Subscription, 1.0: a `QUERY` request carries the parameters in an
 * `application/x-www-form-urlencoded` body (415 otherwise). The body holds
 * selectors only, so it is bounded by what they may take: as many as a
 * subscription may have, each as long as a topic may be, percent-encoded
 * (413 past it). Not a pre-1.0 method: 405 in `0.x` mode.
 */
async function withQueryBody(
  hub: SubscribeHub,
  view: RequestView,
  protocol: MercureProtocol,
): Promise<RequestView> {
  if (protocol === '0.x' || view.readForm === undefined) {
    throw new HttpError(405, 'method QUERY not allowed: use GET or POST', {
      allow: 'GET, POST, OPTIONS',
    });
  }
  checkFormHeaders(view.header);
  const { maxTopicsPerSubscription, maxTopicLength } = hub.options;
  const maxBytes = maxTopicsPerSubscription * (maxTopicLength * 3 + 32) + 4096;
  return { ...view, body: await view.readForm(maxBytes) };
}

/** Steps 1 to 4 (see the file comment). Never throws: failures are refusals. */
export async function planSubscription(
  hub: SubscribeHub,
  view: RequestView,
  policy: SubscribePolicy = {},
): Promise<SubscribeOutcome> {
  try {
    const problem = hostProblem(view);
    if (problem !== undefined) throw new HttpError(400, problem);
    const protocol = policy.protocol ?? 'both';
    if (view.method === 'QUERY') view = await withQueryBody(hub, view, protocol);
    const request = readSubscribeRequest(view, protocol);
    let claims = policy.claims;
    if (claims === undefined && policy.authorize !== undefined) {
      claims = await policy.authorize({ ...view, input: request });
    }
    if (claims === null) throw unauthorized();
    const topics = policy.topics ?? request.topics;
    const prepared = await hub.prepare({
      topics,
      lastEventId: request.lastEventId,
      claims:
        claims === undefined
          ? undefined
          : { subscribe: claims.subscribe, payload: claims.payload, payloadFor: claims.payloadFor },
    });
    const { heartbeatInterval, maxBufferedBytes, retry } = hub.options;
    const headers: Record<string, string | number | readonly string[]> = {};
    for (const [name, value] of Object.entries(policy.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    headers['cache-control'] = SUBSCRIBE_CACHE_CONTROL;
    // [spec] Reconciliation: "When the request contains a Last-Event-ID HTTP
    // header or a lastEventID query parameter the hub MUST set a
    // Last-Event-ID header on the HTTP response" (pre-1.0), "… MUST set a
    // `Mercure-Last-Event-ID` field on the HTTP response" (1.0): the id replay
    // starts after (or `earliest`), as UTF-8 bytes like the request's.
    if (prepared.lastEventId !== undefined) {
      const value = encodeHeaderValue(prepared.lastEventId);
      if (protocol !== '1.0') headers['last-event-id'] = value;
      if (protocol !== '0.x') headers['mercure-last-event-id'] = value;
    }
    return {
      ok: true,
      plan: {
        prepared,
        streamOptions: {
          heartbeatInterval,
          maxBufferedBytes,
          retry,
          headers,
          lastEventIdParam: false,
        },
        topics,
        lastEventId: request.lastEventId,
        anonymous: claims === undefined,
        expiresAt: claims?.expiresAt,
      },
    };
  } catch (error) {
    return { ok: false, refusal: refusalFor(error) };
  }
}

/** Longest delay node timers take (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Hands an open stream to the hub and closes it when the authorization
 * expires. An entry point calls it once the stream is open.
 */
export function startSubscription(
  stream: SseStream,
  plan: SubscriptionPlan,
  logger?: Logger,
): void {
  plan.prepared.attach(stream);
  const { expiresAt, topics } = plan;
  if (expiresAt !== undefined) {
    const delay = expiresAt - Date.now();
    if (delay <= 0) {
      stream.close();
      return;
    }
    if (delay <= MAX_TIMER_MS) {
      const timer = setTimeout(() => {
        logger?.debug({ topics }, 'subscriber authorization expired: stream closed');
        stream.close();
      }, delay);
      timer.unref();
      stream.on('close', () => {
        clearTimeout(timer);
      });
    }
  }
  // Debug logging costs a listener per subscriber: only when it is on.
  if (logger?.isLevelEnabled('debug') === true) {
    logger.debug(
      { topics, anonymous: plan.anonymous, lastEventId: plan.lastEventId },
      'subscriber connected',
    );
    stream.on('close', (reason) => {
      logger.debug({ topics, reason }, 'subscriber disconnected');
    });
  }
}
