/**
 * Baseline 2: better-sse 0.16, used as its docs show: one `Channel`, a
 * `Session` per request registered on it, `channel.broadcast(data)` per
 * update. Defaults kept (JSON serializer, sanitizer, `event:` and `id:` on
 * every event) except `keepAlive`, turned off so its comments do not ride on
 * the measurement (the generator counts update frames only, anyway).
 */
import { createChannel, createSession } from 'better-sse';
import { runServer } from '../server-harness.js';

const channel = createChannel();

runServer({
  name: 'better-sse',
  subscribe(req, res) {
    createSession(req, res, { keepAlive: null }).then(
      (session) => channel.register(session),
      (error: unknown) => {
        console.error('better-sse session failed', error);
        res.destroy();
      },
    );
  },
  publish(_topic, seq, payload) {
    // The idiomatic call takes a value and serializes it (JSON) per session.
    channel.broadcast(JSON.parse(payload), 'message', { eventId: String(seq) });
  },
  subscribers: () => channel.sessionCount,
});
