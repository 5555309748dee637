/** The options of the hub a hub server creates when it is given none. */
import type { HubOptions } from '../hub/index.js';
import { DEFAULT_MAX_DATA_BYTES, DEFAULT_MAX_TOPICS } from '../mercure/options.js';
import type { HubServerOptions } from './hub-server.js';

/** The hub's limits from the server's options (`maxTopics` bounds updates and subscriptions). */
export function hubOptionsFrom(options: HubServerOptions): HubOptions {
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  return {
    historySize: options.historySize,
    historyBytes: options.historyBytes,
    maxSubscribers: options.maxSubscribers,
    maxDataBytes: options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
    maxTopicsPerUpdate: maxTopics,
    maxTopicsPerSubscription: maxTopics,
    heartbeatInterval: options.heartbeatInterval,
    maxBufferedBytes: options.maxBufferedBytes,
    transport: options.transport,
  };
}
