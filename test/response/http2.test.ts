/**
 * node:http2, cleartext (h2c) servers on port 0 with node's http2 client:
 * the compatibility API through `createSseStream` and the core stream API
 * through `createHttp2SseStream`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2ServerResponse,
  type Http2Session,
  type IncomingHttpHeaders,
} from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createHttp2SseStream } from '../../src/response/adapters/http2-stream.js';
import { createSseStream } from '../../src/response/adapters/node-http.js';
import type { SseStream } from '../../src/response/sse-stream.js';
import { closed, listen, Queue, TextCollector, within } from './helpers.js';

const LIMIT = 128 * 1024;
const options = { heartbeatInterval: false, retry: 1000, maxBufferedBytes: LIMIT } as const;
/** Paths starting with /quiet send nothing on open (no retry frame). */
const optionsFor = (path = ''): typeof options | { heartbeatInterval: false } =>
  path.startsWith('/quiet') ? { heartbeatInterval: false } : options;

const compatOpened = new Queue<{ stream: SseStream; res: Http2ServerResponse }>();
const compatServer = http2.createServer((req, res) => {
  compatOpened.push({ stream: createSseStream(req, res, optionsFor(req.url)), res });
});

const coreOpened = new Queue<SseStream>();
const coreServer = http2.createServer();
coreServer.on('stream', (h2stream, headers) => {
  coreOpened.push(createHttp2SseStream(h2stream, headers, optionsFor(headers[':path'])));
});

const sessions = new Set<Http2Session>();
for (const server of [compatServer, coreServer]) {
  server.on('session', (session) => sessions.add(session));
}
let compatUrl = '';
let coreUrl = '';

before(async () => {
  compatUrl = `http://127.0.0.1:${await listen(compatServer)}`;
  coreUrl = `http://127.0.0.1:${await listen(coreServer)}`;
});

after(() => {
  for (const session of sessions) session.destroy();
  compatServer.close();
  coreServer.close();
});

function connect(url: string): ClientHttp2Session {
  const client = http2.connect(url);
  sessions.add(client);
  return client;
}

/** Opens a request; resolves once the response head arrived. */
async function request(client: ClientHttp2Session, path: string, headers = {}) {
  const req: ClientHttp2Stream = client.request({ ':path': path, ...headers });
  req.setEncoding('utf8');
  const [head] = (await within(once(req, 'response'), 'the response head')) as [
    IncomingHttpHeaders,
  ];
  return { req, head, body: new TextCollector(req) };
}

function assertSseHeaders(head: IncomingHttpHeaders): void {
  assert.equal(head[':status'], 200);
  assert.equal(head['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(head['cache-control'], 'no-cache');
  assert.equal(head['x-accel-buffering'], 'no');
  // RFC 9113 §8.2.2: connection-specific fields are forbidden in HTTP/2.
  assert.equal(head.connection, undefined);
}

for (const api of ['compat', 'core'] as const) {
  const next = async (): Promise<SseStream> =>
    api === 'compat' ? (await compatOpened.next()).stream : coreOpened.next();
  const url = (): string => (api === 'compat' ? compatUrl : coreUrl);

  void describe(`http2 ${api} API`, () => {
    void it('sends the SSE headers (no Connection) at once, then frames as encoded', async () => {
      const client = connect(url());
      const { head, body } = await request(client, '/sse?lastEventID=q-1');
      const stream = await next();
      assertSseHeaders(head);
      assert.equal(stream.lastEventId, 'q-1');
      await body.includes('retry: 1000\n\n');
      stream.send({ event: 'tick', id: '2', data: 'x' });
      stream.comment('c');
      stream.close();
      assert.equal(await body.end(), 'retry: 1000\n\nevent: tick\nid: 2\ndata: x\n\n: c\n\n');
      client.close();
    });

    void it('flushes the head before any event', async () => {
      const client = connect(url());
      const { head, body } = await request(client, '/quiet');
      const stream = await next();
      assertSseHeaders(head);
      assert.equal(body.text, '');
      stream.send({ data: 'first' });
      await body.includes('data: first\n\n');
      stream.close();
      client.close();
    });

    void it('reads Last-Event-ID from the request header', async () => {
      const client = connect(url());
      await request(client, '/sse?lastEventID=q', { 'last-event-id': 'h-1' });
      assert.equal((await next()).lastEventId, 'h-1');
      client.close();
    });

    void it('detects the client cancelling the stream; later writes return false', async () => {
      const client = connect(url());
      const { req } = await request(client, '/sse');
      const stream = await next();
      const done = closed(stream);
      req.close(http2.constants.NGHTTP2_CANCEL);
      const [reason] = await done;
      assert.equal(reason, 'client');
      assert.equal(stream.signal.aborted, true);
      assert.equal(stream.send({ data: 'late' }), false);
      client.close();
    });

    void it('cuts off a stream whose reader stopped (flow control), keeping the session', async () => {
      const client = connect(url());
      const { req } = await request(client, '/sse');
      req.pause(); // stop reading: the stream's flow-control window closes
      const stream = await next();
      const done = closed(stream);
      const frame = Buffer.from(`data: ${'x'.repeat(16 * 1024)}\n\n`);
      let maxBuffered = 0;
      for (let i = 0; i < 4096 && stream.writeRaw(frame); i++) {
        maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
        await tick();
      }
      const [reason, error] = await done;
      assert.equal(reason, 'slow-consumer');
      assert.equal(error.code, 'SSE_ERR_SLOW_CONSUMER');
      assert.ok(maxBuffered <= LIMIT + frame.length, `buffered ${maxBuffered}`);
      // Only that stream was reset: the session still serves a new one.
      const again = await request(client, '/sse');
      assertSseHeaders(again.head);
      (await next()).close();
      client.close();
    });
  });
}
