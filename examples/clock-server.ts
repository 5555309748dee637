/**
 * The smallest useful SSE server on node:http: a clock that ticks every second,
 * with a page that shows it. Run it with `npm start` and open
 * http://localhost:3000 (PORT and HOST environment variables change where it
 * listens).
 *
 * Reconnect-aware: every event carries an id, and a client that comes back with
 * `Last-Event-ID` is told how many ticks it missed.
 */
import { createServer } from 'node:http';
import { createSseStream, type SseStream } from '../src/response/index.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? 'localhost';

const page = `<!doctype html>
<meta charset="utf-8">
<title>ssehub clock</title>
<style>body{font:16px system-ui,sans-serif;margin:3rem}#t{font-size:3rem}</style>
<h1>ssehub clock</h1>
<div id="t">connecting…</div>
<pre id="log"></pre>
<script>
  const es = new EventSource('/events');
  es.addEventListener('tick', (e) => { document.getElementById('t').textContent = e.data; });
  es.addEventListener('resumed', (e) => { document.getElementById('log').textContent += e.data + '\\n'; });
  es.onerror = () => { document.getElementById('t').textContent = 'reconnecting…'; };
</script>`;

let tick = 0;
const streams = new Set<SseStream>();
// One timer for every client, not one per client.
setInterval(() => {
  tick++;
  const event = { event: 'tick', id: String(tick), data: new Date().toISOString() };
  for (const stream of streams) stream.send(event);
}, 1000).unref();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    return;
  }
  if (url.pathname !== '/events') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const stream = createSseStream(req, res, { retry: 2000, heartbeatInterval: 15_000 });
  const missed = stream.lastEventId === undefined ? undefined : tick - Number(stream.lastEventId);
  if (missed !== undefined && Number.isFinite(missed)) {
    stream.send({
      event: 'resumed',
      data: `resumed after event ${stream.lastEventId}: missed ${missed} ticks`,
    });
  }
  streams.add(stream);
  stream.on('close', (reason) => {
    streams.delete(stream);
    console.log(`stream closed (${reason}); ${streams.size} open`);
  });
});

server.listen(port, host, () => {
  console.log(`ssehub clock on http://${host}:${port}  (events at /events)`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
