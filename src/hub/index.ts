/*
 * ssehub/hub: the embeddable hub.
 *
 * `createHub(options?)` returns a `Hub`. `await hub.publish({ topics, data, id?, type?, retry?,
 * private? })` validates (throwing `SseError` with a stable `code`), stores the update through the
 * transport (memory by default, bounded history) and resolves to its id (`urn:uuid:…` unless
 * given); `hub.validate(input)` checks without publishing. `hub.subscribe({ topics, lastEventId?,
 * claims? })` returns a `Subscription`, an async iterator of `Update`s (`for await`, `close()`,
 * `ready`), registered synchronously, with replay after `lastEventId` (`earliest` = whole
 * history) and no gap or duplicate. For HTTP subscribers, `await hub.prepare(input)` →
 * `{ lastEventId, attach(stream), cancel() }` (the `ssehub/mercure` helpers `serveHub`,
 * `serveHubFetch`, `serveHubFastify` do it for node:http, Express, Fastify and Fetch runtimes).
 * Topic selectors: exact, `*`, RFC 6570 URI templates; private updates reach only subscribers whose
 * `claims.subscribe` selectors match one of their topics. `hub.stats` gives counters for metrics;
 * `hub.close()` ends it all. The hub knows no HTTP.
 */
export { Hub, createHub } from './hub.js';
export type { PreparedSubscriber } from './hub.js';
export type { HubStats } from './hub-stats.js';
export type { HubOptions, SubscriptionsOptions } from './options.js';
export {
  ActiveSubscriptions,
  encodeSegment,
  HUB_EVENT_TYPE,
  LEGACY_MATCH_TYPE,
} from './active-subscriptions.js';
export { MemorySubscriptionRegistry } from './subscription-registry.js';
export type {
  RegistryEvents,
  SubscriptionDocument,
  SubscriptionRegistry,
  SubscriptionRegistryOptions,
} from './subscription-registry.js';
export { DEFAULT_HUB_MAX_BUFFERED_BYTES } from './options.js';
export type { HubErrorCode } from './errors.js';
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
export { EARLIEST, MAX_RETRY_MS } from './create-update.js';
export {
  createMemoryTransport,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_SIZE,
} from './memory-transport.js';
export type { MemoryTransportOptions } from './memory-transport.js';
export { updateSize } from './types.js';
export type {
  HistoryPage,
  HistoryQuery,
  Position,
  PublishInput,
  SubscribeInput,
  SubscriberClaims,
  Transport,
  TransportHistoryStats,
  TransportLatency,
  TransportListener,
  Update,
} from './types.js';
