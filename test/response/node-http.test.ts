/**
 * node:http adapter against a real server on port 0, with real clients: the
 * `eventsource` package, `http.get` and raw `net` sockets.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { EventSource } from 'eventsource';
import { createSseStream } from '../../src/response/adapters/node-http.js';
import type { SseStreamOptions } from '../../src/response/options.js';
import type { SseStream } from '../../src/response/sse-stream.js';
import { closed, count, listen, Queue, TextCollector, within } from './helpers.js';

interface Opened {
  stream: SseStream;
  req: IncomingMessage;
  res: ServerResponse;
}

const SLOW_LIMIT = 256 * 1024;
const FRAME_BYTES = 16 * 1024;

/**
 * Writes `frame` once per event-loop turn (so node flushes each to the kernel,
 * as a live feed would) until the stream refuses or `limit` frames went out.
 */
async function pump(stream: SseStream, frame: Buffer, limit: number) {
  let sent = 0;
  let maxBuffered = 0;
  while (sent < limit && stream.writeRaw(frame)) {
    sent++;
    maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
    await tick();
  }
  return { sent, maxBuffered };
}

/** Options per path; every stream opened is pushed to `opened`. */
const routes: Record<string, SseStreamOptions> = {
  '/sse': { heartbeatInterval: false },
  '/retry': { heartbeatInterval: false, retry: 10 },
  '/heartbeat': { heartbeatInterval: 40 },
  '/slow': { heartbeatInterval: false, maxBufferedBytes: SLOW_LIMIT },
  '/no-param': { heartbeatInterval: false, lastEventIdParam: false },
};

const opened = new Queue<Opened>();
const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const stream = createSseStream(req, res, routes[path] ?? {});
  opened.push({ stream, req, res });
});
let base = '';
const clients = new Set<{ close(): void }>();

before(async () => {
  base = `http://127.0.0.1:${await listen(server)}`;
});

after(() => {
  for (const client of clients) client.close();
  server.closeAllConnections();
  server.close();
});

/** GET with node's client; resolves once the response head has arrived. */
async function get(path: string, headers: http.OutgoingHttpHeaders = {}) {
  const req = http.get(`${base}${path}`, { headers, agent: false });
  const [res] = (await within(once(req, 'response'), `the response to ${path}`)) as [
    IncomingMessage,
  ];
  clients.add({ close: () => req.destroy() });
  return { req, res, body: new TextCollector(res) };
}

function eventSource(path: string): EventSource {
  const es = new EventSource(`${base}${path}`);
  clients.add(es);
  return es;
}

void describe('createSseStream (node:http)', () => {
  void it('sends status 200 and the SSE headers at once, before any event', async () => {
    const { res, body } = await get('/sse');
    const { stream } = await opened.next();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-accel-buffering'], 'no');
    assert.equal(res.headers.connection, 'keep-alive');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    // The head arrived although nothing was sent yet.
    assert.equal(body.text, '');
    stream.send({ data: 'first' });
    await body.includes('data: first\n\n');
    stream.close();
  });

  void it('EventSource fires open before the first event, then receives it', async () => {
    const es = eventSource('/sse');
    await within(once(es, 'open'), 'open');
    const { stream } = await opened.next();
    assert.equal(stream.bufferedBytes, 0);
    const message = within(once(es, 'message'), 'message');
    stream.send({ data: 'hello\nworld', id: 'm1' });
    const [event] = (await message) as [MessageEvent<string>];
    assert.equal(event.data, 'hello\nworld');
    assert.equal(event.lastEventId, 'm1');
    es.close();
    assert.equal((await closed(stream))[0], 'client');
  });

  void it('writes retry, events, comments and raw frames exactly as encoded', async () => {
    const { body } = await get('/retry');
    const { stream } = await opened.next();
    stream.send({ event: 'update', id: '7', data: 'line 1\r\nline 2' });
    stream.comment('note');
    stream.writeRaw(Buffer.from('data: pre-encoded\n\n'));
    stream.writeRaw('data: string\n\n');
    stream.close();
    assert.equal(
      await body.end(),
      'retry: 10\n\n' +
        'event: update\nid: 7\ndata: line 1\ndata: line 2\n\n' +
        ': note\n\n' +
        'data: pre-encoded\n\n' +
        'data: string\n\n',
    );
    assert.equal(stream.closeReason, 'server');
  });

  void describe('Last-Event-ID', () => {
    void it('comes from the header, else the lastEventID query parameter', async () => {
      await get('/sse', { 'Last-Event-ID': 'from-header' });
      assert.equal((await opened.next()).stream.lastEventId, 'from-header');
      await get('/sse?lastEventID=from-query');
      assert.equal((await opened.next()).stream.lastEventId, 'from-query');
      await get('/sse?lastEventID=from-query', { 'Last-Event-ID': 'from-header' });
      assert.equal((await opened.next()).stream.lastEventId, 'from-header');
      await get('/sse');
      assert.equal((await opened.next()).stream.lastEventId, undefined);
    });

    void it('the query fallback can be turned off', async () => {
      await get('/no-param?lastEventID=ignored');
      assert.equal((await opened.next()).stream.lastEventId, undefined);
    });

    void it('[spec] a UTF-8 header comes back decoded', async () => {
      // node's client writes header strings as Latin-1: send the UTF-8 bytes.
      await get('/sse', { 'Last-Event-ID': Buffer.from('id-é✓', 'utf8').toString('latin1') });
      assert.equal((await opened.next()).stream.lastEventId, 'id-é✓');
    });

    void it('EventSource reconnects after the retry delay and reports the last id', async () => {
      const es = eventSource('/retry');
      const first = await opened.next('the first connection');
      assert.equal(first.stream.lastEventId, undefined);
      first.stream.send({ id: 'e1', data: 'one' });
      await within(once(es, 'message'), 'message');
      first.stream.close(); // the client reconnects after `retry: 10`
      const second = await opened.next('the reconnection');
      assert.equal(second.stream.lastEventId, 'e1');
      es.close();
    });
  });

  void it('sends heartbeat comments at the configured interval to an idle stream', async () => {
    const started = performance.now();
    const { body } = await get('/heartbeat');
    const { stream } = await opened.next();
    const text = await body.until((t) => count(t, ':\n\n') >= 3, 'three heartbeats');
    const elapsed = performance.now() - started;
    assert.match(text, /^(:\n\n)+$/);
    // Consecutive heartbeats on an idle stream are one interval (40 ms) apart,
    // so the third cannot come before two intervals (timers never fire early
    // by more than a millisecond). No upper bound: slow machines are slow.
    assert.ok(elapsed >= 75, `three heartbeats after ${elapsed} ms`);
    stream.close();
  });

  void it('detects a client disconnect: signal, close reason, then no writes reach the socket', async () => {
    const { req } = await get('/sse');
    const { stream, res } = await opened.next();
    const signal = stream.signal;
    const done = closed(stream);
    req.destroy();
    const [reason, error] = await done;
    assert.equal(reason, 'client');
    assert.equal(error.code, 'SSE_ERR_STREAM_CLOSED');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, error);
    // Any write from here on must not touch the response or its socket.
    let touched = 0;
    const trap = (): boolean => {
      touched++;
      return false;
    };
    res.write = trap;
    if (res.socket) res.socket.write = trap;
    assert.equal(stream.send({ data: 'too late' }), false);
    assert.equal(stream.comment(), false);
    assert.equal(stream.writeRaw(Buffer.from('data: x\n\n')), false);
    assert.equal(touched, 0);
  });

  void it('close() ends the response: the client sees the end', async () => {
    const { body } = await get('/sse');
    const { stream } = await opened.next();
    stream.send({ data: 'bye' });
    stream.close();
    assert.equal(await body.end(), 'data: bye\n\n');
    assert.equal(stream.closeReason, 'server');
    assert.equal(stream.signal.aborted, true);
  });

  void it('keeps a client that reads, however much goes through', async () => {
    const { body } = await get('/slow');
    const { stream } = await opened.next();
    const frame = Buffer.from(`data: ${'x'.repeat(FRAME_BYTES - 8)}\n\n`);
    // 4 MiB through a 256 KiB limit, one frame per event-loop turn.
    const { sent, maxBuffered } = await pump(stream, frame, 256);
    assert.equal(sent, 256);
    assert.equal(stream.closed, false);
    assert.ok(maxBuffered <= SLOW_LIMIT + frame.length);
    stream.close();
    assert.equal((await body.end()).length, 256 * frame.length);
  });

  void it('cuts off a client that stops reading, with memory bounded by maxBufferedBytes', async () => {
    // A raw socket reads the head, then stops reading: the kernel buffers on
    // both sides fill, then node's, until the limit trips.
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    clients.add({ close: () => socket.destroy() });
    socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    let head = '';
    await within(
      new Promise<void>((resolve) => {
        const onData = (chunk: Buffer): void => {
          head += chunk.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.pause();
          socket.off('data', onData);
          resolve();
        };
        socket.on('data', onData);
      }),
      'the response head',
    );
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    const { stream } = await opened.next();
    const done = closed(stream);
    const frame = Buffer.from(`data: ${'x'.repeat(FRAME_BYTES - 8)}\n\n`);
    // Bounded: 4096 frames (64 MiB) is far more than loopback kernel buffers hold.
    const { sent, maxBuffered } = await pump(stream, frame, 4096);
    const [reason, error] = await done;
    assert.equal(reason, 'slow-consumer', `still open after ${sent} frames`);
    assert.equal(error.code, 'SSE_ERR_SLOW_CONSUMER');
    assert.equal(stream.closeError, error);
    assert.ok(sent * frame.length > SLOW_LIMIT, 'the kernel took some before node buffered');
    assert.ok(
      maxBuffered <= SLOW_LIMIT + frame.length,
      `buffered ${maxBuffered} bytes, limit ${SLOW_LIMIT} + one frame ${frame.length}`,
    );
    assert.equal(stream.writeRaw(frame), false);
    // The connection is gone: once the client reads again it reaches the end.
    socket.resume();
    await within(once(socket, 'close'), 'the socket to close');
  });

  void it('leaves out Connection: keep-alive for HTTP/1.0', async () => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    clients.add({ close: () => socket.destroy() });
    socket.write('GET /sse HTTP/1.0\r\n\r\n');
    const body = new TextCollector(socket);
    const head = await body.includes('\r\n\r\n');
    const { stream } = await opened.next();
    assert.match(head, /content-type: text\/event-stream; charset=utf-8\r\n/i);
    assert.doesNotMatch(head, /connection: keep-alive/i);
    stream.close();
  });
});
