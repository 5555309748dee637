/**
 * What the HTTP layer needs from a hub: check and publish an update,
 * register a subscriber before its response opens, and the stream settings. `createHub()`'s hub has both; any
 * object of the same shape works (a proxy, a test double).
 */
import type { Hub } from '../hub/index.js';

export type HubEndpoint = Pick<Hub, 'publish' | 'validate' | 'prepare' | 'options'> &
  // The subscription API, when the hub has active subscriptions on.
  Partial<Pick<Hub, 'activeSubscriptions' | 'transport'>>;
