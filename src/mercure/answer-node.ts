/**
 * Writes the answer to a subscribe request on node's `ServerResponse` (or
 * the node:http2 compatibility API's): a refusal's status and message, a
 * dropped connection for a transient refusal, or the stream. Translates only:
 * every decision was made by `planSubscription`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import {
  createSseStream,
  type NodeSseRequest,
  type NodeSseResponse,
} from '../response/adapters/node-http.js';
import type { SseHeaders } from '../response/options.js';
import type { SseStream } from '../response/sse-stream.js';
import { readFormBody } from './form-body.js';
import { REFUSAL_HEADERS, refusalBody, type Refusal } from './refusal.js';
import type { RequestView } from './subscribe-request.js';
import { startSubscription, type SubscribeOutcome } from './subscribe-core.js';

/** `NGHTTP2_REFUSED_STREAM`: the stream was not processed, safe to retry (RFC 9113 §8.7). */
const NGHTTP2_REFUSED_STREAM = 0x7;

/** A node request as the subscribe core sees it. */
export function nodeRequestView(req: NodeSseRequest, raw: unknown = req): RequestView {
  const headers = req.headers;
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    header(name) {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
    raw,
    hostLines: hostLinesOf(req.rawHeaders),
    origin: originOf(req),
    readForm: (maxBytes) => readFormBody(req, maxBytes),
  };
}

/** The origin a node request was sent to (scheme from the connection, host from the head). */
function originOf(req: NodeSseRequest): string | undefined {
  const authority = 'stream' in req ? req.authority : req.headers.host;
  if (authority === undefined || authority === '') return undefined;
  const secure = 'stream' in req || (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${authority}`;
}

/** How many `Host` lines a node request had (`rawHeaders` keeps repeats). */
export function hostLinesOf(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'host') count++;
  }
  return count;
}

/**
 * Drops a request without an HTTP answer, so the client treats it as a
 * network error and retries (see `refusal.ts`).
 */
export function dropConnection(req: NodeSseRequest): void {
  if ('stream' in req) req.stream.close(NGHTTP2_REFUSED_STREAM);
  else req.socket.destroy();
}

/**
 * Writes a refusal: its status, message and headers, plus `extra` (CORS).
 * Does nothing when the head was already sent.
 */
export function writeNodeRefusal(
  res: NodeSseResponse,
  refusal: Refusal,
  extra: SseHeaders | OutgoingHttpHeaders | undefined,
): void {
  if (res.headersSent || res.writableEnded) return;
  const body = refusalBody(refusal);
  const head = {
    ...(extra as OutgoingHttpHeaders | undefined),
    ...refusal.headers,
    ...REFUSAL_HEADERS,
    'content-length': Buffer.byteLength(body),
  };
  // Both response kinds share this call shape; the cast picks one overload.
  (res as import('node:http').ServerResponse).writeHead(refusal.status, head);
  res.end(body);
}

/**
 * Answers a subscribe request on node: the stream (returned), or the
 * refusal (`undefined`). A transient refusal drops the connection.
 */
export function answerNode(
  req: NodeSseRequest,
  res: NodeSseResponse,
  outcome: SubscribeOutcome,
  extra: SseHeaders | undefined,
  logger?: Logger,
): SseStream | undefined {
  if (!outcome.ok) {
    if (outcome.refusal.transient) dropConnection(req);
    else writeNodeRefusal(res, outcome.refusal, extra);
    return undefined;
  }
  const { plan } = outcome;
  if (res.writableEnded || res.destroyed) {
    plan.prepared.cancel(); // The client left while it was being authorized.
    return undefined;
  }
  let stream: SseStream;
  try {
    stream = createSseStream(req, res, plan.streamOptions);
  } catch (error) {
    plan.prepared.cancel();
    throw error;
  }
  startSubscription(stream, plan, logger);
  return stream;
}
