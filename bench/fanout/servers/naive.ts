/**
 * Baseline 1: the naive broadcaster everyone writes first. A `Set` of
 * node:http responses; each update is encoded once and `res.write()` to each.
 */
import type { ServerResponse } from 'node:http';
import { runServer } from '../server-harness.js';

const subscribers = new Set<ServerResponse>();

runServer({
  name: 'naive',
  subscribe(req, res) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    subscribers.add(res);
    req.on('close', () => subscribers.delete(res));
  },
  publish(_topic, seq, payload) {
    const frame = Buffer.from(`id: ${seq}\ndata: ${payload}\n\n`);
    for (const res of subscribers) res.write(frame);
  },
  subscribers: () => subscribers.size,
});
