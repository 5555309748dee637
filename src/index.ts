// The package's main entry point: the protocol core, the SSE response layer,
// the embeddable hub and the client. Each part is also its own entry point
// (`ssehub/protocol`, `ssehub/server`, `ssehub/hub`, `ssehub/transports`,
// `ssehub/client`; browsers should import `ssehub/client`, which loads no
// server code).
// The standalone server (JWT, CORS, metrics) is `ssehub/http`, kept out of
// this entry so embedding the hub does not load its dependencies.
export * from './protocol/index.js';
export * from './server/index.js';
export * from './hub/index.js';
export { EventSource, connect, SseErrorEvent, SseOpenEvent } from './client/index.js';
export type {
  BodyOption,
  ClientTimers,
  ConnectOptions,
  EventSourceEventMap,
  EventSourceOptions,
  EventStream,
  FetchLike,
  HeadersOption,
  ReconnectOptions,
  SseMessage,
} from './client/index.js';
