export { SseStream } from './sse-stream.js';
export type { SseCloseReason, SseCloseListener } from './sse-stream.js';
export type { SseConnection, SseConnectionSink } from './connection.js';
export {
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_LAST_EVENT_ID_PARAM,
  DEFAULT_MAX_BUFFERED_BYTES,
} from './options.js';
export type { SseHeaders, SseStreamOptions } from './options.js';
export { SSE_HEADERS } from './response-headers.js';
export { readLastEventId } from './last-event-id.js';
export { createSseStream } from './adapters/node-http.js';
export type { NodeSseRequest, NodeSseResponse } from './adapters/node-http.js';
export { createHttp2SseStream } from './adapters/http2-stream.js';
export { createExpressSseStream } from './adapters/express.js';
export { createFastifySseStream } from './adapters/fastify.js';
export type { FastifyReplyLike, FastifyRequestLike } from './adapters/fastify.js';
export { createFetchSseStream } from './adapters/fetch.js';
export type { FetchRequestLike, FetchSseStream } from './adapters/fetch.js';
export { createRawSseStream } from './adapters/raw-socket.js';
export type { RawRequestHead } from './adapters/raw-socket.js';
export type { ResponseErrorCode } from './errors.js';
export { splitTarget } from './request-target.js';
export type { RequestTarget } from './request-target.js';
export { decodeHeaderValue, encodeHeaderValue } from './last-event-id.js';
