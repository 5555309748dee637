/**
 * The contender: ssehub's embeddable hub on node:http, defaults kept.
 * `GET /events?topic=…` → `hub.serve(req, res)`; each update →
 * `hub.publish({ topics, data, id })` (encoded once, shared by every
 * subscriber, coalesced per tick into one write per subscriber).
 */
import { createHub } from '../../../src/hub/index.js';
import { runServer } from '../server-harness.js';

const hub = createHub();

runServer({
  name: 'ssehub',
  subscribe(req, res) {
    hub.serve(req, res).catch((error: unknown) => {
      console.error('ssehub serve failed', error);
    });
  },
  publish(topic, seq, payload) {
    hub.publish({ topics: topic, data: payload, id: String(seq) }).catch((error: unknown) => {
      console.error('ssehub publish failed', error);
    });
  },
  subscribers: () => hub.stats.subscribers,
});
