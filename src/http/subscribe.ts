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
import type { OutgoingHttpHeaders } from 'node:http';
import { SseError } from '../protocol/sse-error.js';
import type { SubscribeInput } from '../hub/index.js';
import {
  createSseStream,
  readLastEventId,
  type NodeSseRequest,
  type NodeSseResponse,
  type SseStream,
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

/** Authenticates a subscriber: its verified token, or `undefined` when anonymous. */
async function authenticate(
  req: NodeSseRequest,
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

/** A subscribe request handler bound to a hub and options. */
export function createSubscribeHandler(
  hub: HubEndpoint,
  options: ResolvedMercureOptions,
): (
  req: NodeSseRequest,
  res: NodeSseResponse,
  query: URLSearchParams,
  headers: OutgoingHttpHeaders,
) => Promise<void> {
  return async (req, res, query, headers) => {
    const token = await authenticate(req, query, options);
    const topics = parseSubscribeTopics(query, options.maxTopics);
    const input: SubscribeInput = {
      topics,
      lastEventId: readLastEventId(req.headers['last-event-id'], req.url, 'lastEventID'),
      claims:
        token === undefined
          ? undefined
          : { subscribe: token.mercure.subscribe, payload: token.mercure.payload },
    };
    // Registers the subscriber and reads its replay before the head is
    // written: capacity (503) and transport errors still get a real status.
    const prepared = await hub.prepare(input);
    if (res.writableEnded || res.destroyed) {
      prepared.cancel(); // The client left during verification.
      return;
    }
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
    let stream: SseStream;
    try {
      stream = createSseStream(req, res, {
        heartbeatInterval: options.heartbeatInterval,
        maxBufferedBytes: options.maxBufferedBytes,
        headers: extra,
      });
    } catch (error) {
      prepared.cancel();
      throw error;
    }
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
    options.logger?.debug(
      { topics, anonymous: token === undefined, lastEventId: input.lastEventId },
      'subscriber connected',
    );
    stream.on('close', (reason) => {
      options.logger?.debug({ topics, reason }, 'subscriber disconnected');
    });
  };
}
