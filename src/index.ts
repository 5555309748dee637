// The package's main entry point: the protocol core, the SSE response layer,
// the embeddable hub with the helpers that serve its subscribers from your
// own routes, and the client. Each part is also its own entry point
// (`ssehub/protocol`, `ssehub/response`, `ssehub/hub`, `ssehub/transports`,
// `ssehub/client`; browsers should import `ssehub/client`, which loads no
// server code).
// The Mercure endpoint (JWT, CORS) is `ssehub/mercure` and the standalone
// server `ssehub/http`, kept out of this entry so embedding the hub does not
// load their dependencies.
import type { ClientErrorCode } from './client/errors.js';
import type { HubErrorCode } from './hub/errors.js';
import type { MercureErrorCode } from './mercure/errors.js';
import type { ProtocolErrorCode } from './protocol/sse-error.js';
import type { ResponseErrorCode } from './response/errors.js';

export * from './protocol/index.js';
export * from './response/index.js';
export * from './hub/index.js';
export { serveHub, serveHubFastify, serveHubFetch } from './mercure/serve-hub.js';
export type {
  FastifyReplyForHub,
  FastifyRequestForHub,
  ServeHubOptions,
} from './mercure/serve-hub.js';
export type {
  AuthorizeHook,
  SubscribePolicy,
  SubscribeRequestInfo,
  SubscriberAuthorization,
} from './mercure/subscribe-core.js';
export { EventSource, connect, SseErrorEvent, SseOpenEvent } from './client/index.js';
export type {
  BodyOption,
  ClientTimers,
  ConnectOptions,
  EventSourceEventMap,
  EventSourceOptions,
  EventStream,
  FetchInit,
  FetchLike,
  HeadersOption,
  ReconnectOptions,
  SseMessage,
} from './client/index.js';

/** Every code an `SseError` of ssehub can carry. */
export type SseErrorCode =
  ProtocolErrorCode | ResponseErrorCode | HubErrorCode | MercureErrorCode | ClientErrorCode;
export type {
  ClientErrorCode,
  HubErrorCode,
  MercureErrorCode,
  ProtocolErrorCode,
  ResponseErrorCode,
};
