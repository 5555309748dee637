/**
 * The contender: ssehub as `ssehub serve` runs it: the hub server (its front
 * door serves subscribers on the bare socket), defaults kept, anonymous
 * subscribers, the hub path at `/events`. Each update →
 * `hub.publish({ topics, data, id })` (encoded once, shared by every
 * subscriber, coalesced per event-loop turn into one write per subscriber).
 *
 * `SSEHUB_LEAN=0` runs the same hub behind plain node:http
 * (`leanSubscribers: false`), for comparison.
 */
import { createHubServer } from '../../../src/hub-server/index.js';
import { runServer } from '../server-harness.js';

const hubServer = createHubServer({
  anonymous: true,
  path: '/events',
  metrics: false,
  webUi: false,
  leanSubscribers: process.env.SSEHUB_LEAN !== '0',
});
const hub = hubServer.hub;

runServer({
  name: 'ssehub',
  listener: hubServer.listener,
  subscribe() {
    throw new Error('the hub server routes subscribers itself');
  },
  publish(topic, seq, payload) {
    hub.publish({ topics: topic, data: payload, id: String(seq) }).catch((error: unknown) => {
      console.error('ssehub publish failed', error);
    });
  },
  subscribers: () => hub.stats.subscribers,
});
