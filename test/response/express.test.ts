/**
 * Express 5 adapter: a real Express app on port 0, the `eventsource` client,
 * and a stand-in for the `compression` middleware that holds writes back
 * until `res.flush()`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createExpressSseStream } from '../../src/response/adapters/express.js';
import type { SseStream } from '../../src/response/sse-stream.js';
import { closed, listen, Queue, TextCollector, within } from './helpers.js';

/**
 * Behaves like `compression` as far as streaming goes: writes are held in a
 * buffer (its zlib stream) until `res.flush()` pushes them out.
 */
function holdUntilFlush(_req: Request, res: Response, next: NextFunction): void {
  const write = res.write.bind(res) as (chunk: unknown) => boolean;
  const held: unknown[] = [];
  res.write = ((chunk: unknown) => {
    held.push(chunk);
    return true;
  }) as Response['write'];
  (res as Response & { flush(): void }).flush = () => {
    for (const chunk of held.splice(0)) write(chunk);
  };
  next();
}

const opened = new Queue<SseStream>();
const app = express();
app.use((_req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*'); // as CORS middleware would
  next();
});
app.get('/events', (req, res) => {
  opened.push(createExpressSseStream(req, res, { heartbeatInterval: false }));
});
app.get('/compressed', holdUntilFlush, (req, res) => {
  opened.push(createExpressSseStream(req, res, { heartbeatInterval: false, retry: 500 }));
});

let server: Server;
let base = '';
const sources = new Set<EventSource>();

before(async () => {
  server = http.createServer(app);
  base = `http://127.0.0.1:${await listen(server)}`;
});

after(() => {
  for (const es of sources) es.close();
  server.closeAllConnections();
  server.close();
});

void describe('createExpressSseStream', () => {
  void it('sends SSE headers at once, keeping headers set by earlier middleware', async () => {
    const req = http.get(`${base}/events`, { agent: false });
    const [res] = (await within(once(req, 'response'), 'response')) as [IncomingMessage];
    const stream = await opened.next();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-accel-buffering'], 'no');
    assert.equal(res.headers.connection, 'keep-alive');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const body = new TextCollector(res);
    stream.send({ data: 'hi' });
    stream.close();
    assert.equal(await body.end(), 'data: hi\n\n');
  });

  void it('EventSource receives events; closing it is detected on the server', async () => {
    const es = new EventSource(`${base}/events`);
    sources.add(es);
    await within(once(es, 'open'), 'open');
    const stream = await opened.next();
    const message = within(once(es, 'message'), 'message');
    assert.equal(stream.send({ data: 'from express' }), true);
    assert.equal(((await message)[0] as MessageEvent<string>).data, 'from express');
    const done = closed(stream);
    es.close();
    assert.equal((await done)[0], 'client');
    assert.equal(stream.send({ data: 'late' }), false);
  });

  void it('behind compression-style middleware, events are flushed as they are sent', async () => {
    // Without res.flush() calls nothing would arrive: not the open, not the events.
    const es = new EventSource(`${base}/compressed`);
    sources.add(es);
    await within(once(es, 'open'), 'open');
    const stream = await opened.next();
    const message = within(once(es, 'message'), 'message');
    stream.send({ data: 'not held back' });
    assert.equal(((await message)[0] as MessageEvent<string>).data, 'not held back');
    es.close();
    await closed(stream);
  });
});
