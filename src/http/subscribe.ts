/**
 * `GET /.well-known/mercure?topic=…`: a subscriber opens an event stream.
 *
 * Every check runs before the stream opens, so a refusal is a plain 4xx a
 * browser's `EventSource` reports as an error (and does not retry):
 * token (401; none is needed when `anonymous` is on), `topic` parameters
 * (400), then the hub registers the subscriber and reads its replay
 * (`hub.prepare`: 503 when full). Then the stream opens (200, SSE headers,
 * CORS headers, `Last-Event-ID` when the client sent one) and the hub takes it
 * over, replaying history after `Last-Event-ID` (header, else the
 * `lastEventID` query parameter).
 *
 * [spec] "If the presented JWS contains an expiration time in the standard
 * `exp` claim, the hub MUST close the connection at that time": one
 * unref()ed timer per authenticated subscriber with an `exp`, cleared when
 * the stream closes.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#subscription
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/subscribe.go
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { SseError } from '../protocol/sse-error.js';
import type { PreparedSubscriber, SubscribeInput } from '../hub/index.js';
import {
  createRawSseStream,
  createSseStream,
  readLastEventId,
  type NodeSseRequest,
  type NodeSseResponse,
  type RawRequestHead,
  type SseStream,
  type SseStreamOptions,
} from '../server/index.js';
import { findToken, verifyToken, type VerifiedToken } from './authorize.js';
import type { HubEndpoint } from './hub-endpoint.js';
import type { ResolvedMercureOptions } from './options.js';

/** Longest delay node timers take (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads the subscription's topic selectors from the query.
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC` or `SSE_ERR_TOO_MANY_TOPICS`.
 */
export function parseSubscribeTopics(query: URLSearchParams, maxTopics: number): string[] {
  const topics = query.getAll('topic');
  if (topics.length === 0) {
    throw new SseError('SSE_ERR_INVALID_TOPIC', 'missing "topic"', { field: 'topic' });
  }
  if (topics.length > maxTopics) {
    throw new SseError('SSE_ERR_TOO_MANY_TOPICS', `too many topics (max ${maxTopics})`, {
      field: 'topic',
    });
  }
  if (topics.includes('')) {
    throw new SseError('SSE_ERR_INVALID_TOPIC', '"topic" must not be empty', { field: 'topic' });
  }
  return topics;
}

/** What the subscribe logic reads from a request: node's `IncomingMessage` or a raw head. */
export interface SubscribeRequest {
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** Authenticates a subscriber: its verified token, or `undefined` when anonymous. */
async function authenticate(
  req: SubscribeRequest,
  query: URLSearchParams,
  options: ResolvedMercureOptions,
): Promise<VerifiedToken | undefined> {
  const found = findToken(req, query, options.cookieName);
  if (found === undefined) {
    if (options.anonymous) return undefined;
    throw new SseError(
      'SSE_ERR_UNAUTHORIZED',
      `missing token: send the "${options.cookieName}" cookie, the "authorization" parameter or "Authorization: Bearer <jwt>"`,
    );
  }
  const key = options.subscriberKey;
  if (key === undefined) {
    throw new SseError(
      'SSE_ERR_UNAUTHORIZED',
      'subscriber tokens are not accepted: no subscriber key',
    );
  }
  return verifyToken(found.token, key, options.clockTolerance);
}

/** An accepted subscription, registered with the hub, before its stream opens. */
interface SubscriptionPlan {
  readonly prepared: PreparedSubscriber;
  readonly token: VerifiedToken | undefined;
  readonly topics: readonly string[];
  readonly lastEventId: string | undefined;
  /** The stream's options: its response headers, heartbeat and buffer limit. */
  readonly streamOptions: SseStreamOptions;
}

/** The subscribe handlers bound to a hub and options: one per way of answering. */
export interface SubscribeHandlers {
  /** Through node's `ServerResponse` (node:http, http2 compat, middleware). */
  node(
    req: NodeSseRequest,
    res: NodeSseResponse,
    query: URLSearchParams,
    headers: OutgoingHttpHeaders,
  ): Promise<void>;
  /**
   * On a bare socket whose head was read by the front door. Resolves `false`,
   * having written nothing, when the request is refused: node's server then
   * answers it from the same bytes.
   */
  raw(
    head: RawRequestHead,
    socket: Socket,
    query: URLSearchParams,
    headers: OutgoingHttpHeaders,
  ): Promise<boolean>;
}

/** Creates the subscribe handlers for a hub and options. */
export function createSubscribeHandler(
  hub: HubEndpoint,
  options: ResolvedMercureOptions,
): SubscribeHandlers {
  /** Every check, then the hub registers the subscriber and reads its replay. */
  async function plan(
    req: SubscribeRequest,
    query: URLSearchParams,
    headers: OutgoingHttpHeaders,
  ): Promise<SubscriptionPlan> {
    const token = await authenticate(req, query, options);
    const topics = parseSubscribeTopics(query, options.maxTopics);
    const lastEventId = readLastEventId(req.headers['last-event-id'], req.url, 'lastEventID');
    const input: SubscribeInput = {
      topics,
      lastEventId,
      claims:
        token === undefined
          ? undefined
          : { subscribe: token.mercure.subscribe, payload: token.mercure.payload },
    };
    // Registers the subscriber and reads its replay before the head is
    // written: capacity (503) and transport errors still get a real status.
    const prepared = await hub.prepare(input);
    const extra: Record<string, string> = {
      ...(headers as Record<string, string>),
      // [spec] answers to requests that may carry a token in the URL
      // SHOULD be `private`; no cache may keep a live stream anyway.
      'cache-control': 'private, no-cache, no-store, must-revalidate, max-age=0',
    };
    // [spec] Reconciliation: the id replay starts after (or `earliest`).
    // Header bytes are Latin-1 to node: send the id's UTF-8 bytes, as
    // clients send `Last-Event-ID` (see `readLastEventId`).
    if (prepared.lastEventId !== undefined) {
      extra['last-event-id'] = Buffer.from(prepared.lastEventId, 'utf8').toString('latin1');
    }
    return {
      prepared,
      token,
      topics,
      lastEventId,
      streamOptions: {
        heartbeatInterval: options.heartbeatInterval,
        maxBufferedBytes: options.maxBufferedBytes,
        headers: extra,
      },
    };
  }

  /** Hands the open stream to the hub; closes it when the token expires. */
  function start(stream: SseStream, accepted: SubscriptionPlan): void {
    const { prepared, token, topics } = accepted;
    prepared.attach(stream);
    const expiresAt = token?.expiresAt;
    if (expiresAt !== undefined) {
      const delay = expiresAt - Date.now();
      if (delay <= 0) {
        stream.close();
        return;
      }
      if (delay <= MAX_TIMER_MS) {
        const timer = setTimeout(() => {
          options.logger?.debug({ topics }, 'subscriber token expired: stream closed');
          stream.close();
        }, delay);
        timer.unref();
        stream.on('close', () => {
          clearTimeout(timer);
        });
      }
    }
    const logger = options.logger;
    // Debug logging costs a listener per subscriber: only when it is on.
    if (logger?.isLevelEnabled('debug') === true) {
      logger.debug(
        { topics, anonymous: token === undefined, lastEventId: accepted.lastEventId },
        'subscriber connected',
      );
      stream.on('close', (reason) => {
        logger.debug({ topics, reason }, 'subscriber disconnected');
      });
    }
  }

  return {
    async node(req, res, query, headers) {
      const accepted = await plan(req, query, headers);
      if (res.writableEnded || res.destroyed) {
        accepted.prepared.cancel(); // The client left during verification.
        return;
      }
      let stream: SseStream;
      try {
        stream = createSseStream(req, res, accepted.streamOptions);
      } catch (error) {
        accepted.prepared.cancel();
        throw error;
      }
      start(stream, accepted);
    },

    async raw(head, socket, query, headers) {
      let accepted: SubscriptionPlan;
      try {
        accepted = await plan(head, query, headers);
      } catch {
        return false; // node's server answers the refusal, from the same bytes
      }
      if (socket.destroyed) {
        accepted.prepared.cancel();
        return true;
      }
      let stream: SseStream;
      try {
        stream = createRawSseStream(socket, head, accepted.streamOptions);
      } catch {
        accepted.prepared.cancel();
        return false;
      }
      start(stream, accepted);
      return true;
    },
  };
}
