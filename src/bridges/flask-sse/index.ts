// `ssehub/bridges/flask-sse`: flask-sse's Redis pub/sub messages onto a hub
// (loads the optional `redis` peer dependency), and flask-sse's stream
// endpoint on the hub's subscribe core.
export { createFlaskSseBridge, DEFAULT_FLASK_SSE_REDIS_URL, OTHER_CHANNELS } from './bridge.js';
export type {
  FlaskSseBridge,
  FlaskSseBridgeOptions,
  FlaskSseBridgeStats,
  FlaskSseHub,
  MalformedMessage,
} from './bridge.js';
export { decodeFlaskSseMessage, renderFlaskSseFrame } from './message.js';
export type { DecodedMessage, FlaskSseEvent, FlaskSseMessage, MalformedReason } from './message.js';
export { registerFlaskSseMetrics } from './metrics.js';
export { planFlaskSseStream, serveFlaskSseStream, serveFlaskSseStreamFetch } from './stream.js';
export type { FlaskSseStreamOptions } from './stream.js';
export {
  CHANNEL_PARAM,
  DEFAULT_CHANNEL,
  DEFAULT_TOPIC_PREFIX,
  channelTopic,
  requestedChannel,
} from './topic.js';
