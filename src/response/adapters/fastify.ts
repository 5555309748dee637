/**
 * Adapter for Fastify (4 and 5): hijacks the reply, then streams on the raw
 * node response. Types are structural, so nothing from `fastify` is imported
 * at runtime or in the `.d.ts`.
 */
import {
  resolveLastEventIdParam,
  resolveOptions,
  type SseHeaders,
  type SseStreamOptions,
} from '../options.js';
import type { SseStream } from '../sse-stream.js';
import { createSseStream, type NodeSseRequest, type NodeSseResponse } from './node-http.js';

/** The part of a `FastifyRequest` the adapter uses. */
export interface FastifyRequestLike {
  readonly raw: NodeSseRequest;
}

/** The part of a `FastifyReply` the adapter uses. */
export interface FastifyReplyLike {
  readonly raw: NodeSseResponse;
  /** Tells Fastify the handler writes the response itself. */
  hijack(): unknown;
  /** Headers set with `reply.header()` so far (hooks, `@fastify/cors`). */
  getHeaders?(): SseHeaders;
}

/**
 * Starts an SSE response in a Fastify route handler. Calls `reply.hijack()`,
 * so Fastify no longer sends a reply (nor runs `onSend` hooks) for this
 * request. Headers already set with `reply.header()` (for example by
 * `@fastify/cors`) are carried over, since hijacking would otherwise drop them;
 * `options.headers` win over them.
 *
 * @example
 * app.get('/events', (request, reply) => {
 *   const stream = createFastifySseStream(request, reply);
 *   stream.send({ data: 'hello' });
 * });
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options (the reply is not hijacked).
 */
export function createFastifySseStream(
  request: FastifyRequestLike,
  reply: FastifyReplyLike,
  options: SseStreamOptions = {},
): SseStream {
  const replyHeaders = reply.getHeaders?.();
  const merged =
    replyHeaders === undefined
      ? options
      : { ...options, headers: { ...replyHeaders, ...options.headers } };
  // Check options before hijacking, so a bad option leaves Fastify in charge
  // of the reply (its error handler answers the request).
  resolveOptions(merged);
  resolveLastEventIdParam(merged);
  reply.hijack();
  return createSseStream(request.raw, reply.raw, merged);
}
