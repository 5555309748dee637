/**
 * Fastify 5 adapter: a real Fastify app on port 0; the reply is hijacked and
 * the raw response streams.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import Fastify from 'fastify';
import { createFastifySseStream } from '../../src/response/adapters/fastify.js';
import type { SseStream } from '../../src/response/sse-stream.js';
import { closed, Queue, TextCollector, within } from './helpers.js';

const opened = new Queue<SseStream>();
const app = Fastify();
app.addHook('onRequest', async (_request, reply) => {
  reply.header('access-control-allow-origin', '*'); // as @fastify/cors does
});
app.get('/events', (request, reply) => {
  opened.push(createFastifySseStream(request, reply, { heartbeatInterval: false }));
});
app.get('/bad-options', (request, reply) => {
  createFastifySseStream(request, reply, { retry: -1 });
});

let base = '';
const sources = new Set<EventSource>();

before(async () => {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  for (const es of sources) es.close();
  app.server.closeAllConnections();
  await app.close();
});

void describe('createFastifySseStream', () => {
  void it('hijacks the reply and sends the SSE headers at once, keeping reply headers', async () => {
    const req = http.get(`${base}/events?lastEventID=5`, { agent: false });
    const [res] = (await within(once(req, 'response'), 'response')) as [IncomingMessage];
    const stream = await opened.next();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-accel-buffering'], 'no');
    assert.equal(res.headers.connection, 'keep-alive');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(stream.lastEventId, '5');
    const body = new TextCollector(res);
    stream.send({ event: 'e', data: 'x' });
    stream.close();
    assert.equal(await body.end(), 'event: e\ndata: x\n\n');
  });

  void it('EventSource receives events; closing it is detected on the server', async () => {
    const es = new EventSource(`${base}/events`);
    sources.add(es);
    await within(once(es, 'open'), 'open');
    const stream = await opened.next();
    const message = within(once(es, 'message'), 'message');
    stream.send({ data: 'from fastify' });
    assert.equal(((await message)[0] as MessageEvent<string>).data, 'from fastify');
    const done = closed(stream);
    es.close();
    assert.equal((await done)[0], 'client');
    assert.equal(stream.signal.aborted, true);
    assert.equal(stream.send({ data: 'late' }), false);
  });

  void it('a bad option throws before hijacking, so Fastify still answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/bad-options' });
    assert.equal(res.statusCode, 500);
  });
});
