export { EventSource } from './event-source.js';
export type { EventSourceEventMap } from './event-source.js';
export { connect } from './connect.js';
export type { ConnectOptions, EventStream, SseMessage } from './connect.js';
export { SseErrorEvent, SseOpenEvent } from './events.js';
export type {
  BodyOption,
  ClientTimers,
  EventSourceOptions,
  FetchInit,
  FetchLike,
  HeadersOption,
  ReconnectOptions,
} from './options.js';
export { SseError, isSseError } from '../protocol/sse-error.js';
export type { ClientErrorCode, ClientEventErrorCode } from './errors.js';
