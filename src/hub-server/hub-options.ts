/** The options of the hub a hub server creates when it is given none. */
import type { HubOptions } from '../hub/index.js';
import {
  DEFAULT_HUB_PATH,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_MAX_TOPICS,
} from '../mercure/options.js';
import type { HubServerOptions } from './hub-server.js';

/** The hub's limits from the server's options (`maxTopics` bounds updates and subscriptions). */
export function hubOptionsFrom(options: HubServerOptions): HubOptions {
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  const logger = options.logger;
  return {
    subscriptions:
      options.subscriptions === true
        ? {
            hubPath: options.path ?? DEFAULT_HUB_PATH,
            leaseInterval: options.subscriptionsLeaseInterval,
            onError: (error) => {
              logger?.warn({ err: error }, 'active subscriptions: a change was not announced');
            },
          }
        : undefined,
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
