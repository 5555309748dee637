/*
 * ssehub/hub: the embeddable hub.
 *
 * `createHub(options?)` returns a `Hub`. `await hub.publish({ topics, data, id?, type?, retry?,
 * private? })` validates (throwing `SseError` with a stable `code`), stores the update through the
 * transport (memory by default, bounded history) and resolves to its id (`urn:uuid:…` unless
 * given). `hub.subscribe({ topics, lastEventId?, claims? })` returns a `Subscription`, an async
 * iterator of `Update`s (`for await`, `close()`, `ready`), registered synchronously, with replay
 * after `lastEventId` (`earliest` = whole history) and no gap or duplicate. HTTP: `hub.serve(req,
 * res, { claims?, headers? })` (node:http, Express, http2 compat), `hub.serveFetch(request)` →
 * `Response`, `hub.serveFastify(request, reply)` read `topic` query parameters and
 * `Last-Event-ID` / `lastEventID`, authorize via `options.claims` or the `authorize` hook, answer
 * 400/401/403/503 in plain text on error, else open the stream with the `Last-Event-ID` response
 * header. Lower level, for a server doing its own auth: `await hub.prepare(input)` →
 * `{ lastEventId, attach(stream), cancel() }` (set the header from `lastEventId`, open the
 * stream, attach it), or `hub.attach(stream, input)` for a stream already open. Topic selectors:
 * exact, `*`, RFC 6570 URI templates; private updates reach only subscribers whose
 * `claims.subscribe` selectors match one of their topics. `hub.stats` gives counters for
 * metrics; `httpStatusForError(code)` maps error codes to statuses; `hub.close()` ends it all.
 */
export { Hub, createHub } from './hub.js';
export type { HubStats, PreparedSubscriber } from './hub.js';
export type { AuthorizeHook, HubOptions, SubscribeRequestInfo } from './options.js';
export { DEFAULT_HUB_MAX_BUFFERED_BYTES } from './options.js';
export { Subscription } from './subscription.js';
export type { SubscriptionReady } from './subscription.js';
export type { DisconnectReason } from './subscriber.js';
export {
  ANY_TOPIC,
  MAX_SELECTOR_LENGTH,
  MAX_TEMPLATE_VARIABLES,
  TopicMatcher,
  compileSelector,
  isExactSelector,
} from './topic-selector.js';
export type { CompiledSelector, TopicMatcherOptions } from './topic-selector.js';
export { EARLIEST } from './create-update.js';
export { httpStatusForError } from './http-status.js';
export { readSubscribeRequest, LAST_EVENT_ID_PARAM, TOPIC_PARAM } from './serve.js';
export type { FastifyReplyForHub, FastifyRequestForHub, ServeOptions } from './serve.js';
export { createMemoryTransport } from '../transports/memory.js';
export type { MemoryTransportOptions } from '../transports/memory.js';
export type {
  PublishInput,
  SubscribeInput,
  SubscriberClaims,
  Transport,
  TransportHistoryStats,
  Update,
} from './types.js';
