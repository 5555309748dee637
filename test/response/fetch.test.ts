/**
 * Fetch adapter: the `Response` body consumed directly, and served to the
 * `eventsource` client through a tiny node http bridge (the way Hono's node
 * server, Next.js or any Fetch-based runtime would serve it).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { isSseError } from '../../src/protocol/sse-error.js';
import { createFetchSseStream } from '../../src/response/adapters/fetch.js';
import type { SseStream } from '../../src/response/sse-stream.js';
import { closed, count, listen, Queue, within } from './helpers.js';

const quiet = { heartbeatInterval: false } as const;
const decoder = new TextDecoder();

/** Reads `body` until `predicate(text)` holds or the body ends. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  predicate: (text: string) => boolean,
): Promise<{ text: string; done: boolean }> {
  let text = '';
  for (;;) {
    const { done, value } = await within(reader.read(), 'a body chunk');
    if (done) return { text, done };
    text += decoder.decode(value, { stream: true });
    if (predicate(text)) return { text, done };
  }
}

void describe('createFetchSseStream', () => {
  void it('returns a 200 text/event-stream Response without a Connection header', () => {
    const { response, stream } = createFetchSseStream(new Request('http://hub.test/sse'), quiet);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    assert.equal(response.headers.get('connection'), null);
    stream.close();
  });

  void it('reads Last-Event-ID from the header, else the query parameter', () => {
    const header = createFetchSseStream(
      new Request('http://hub.test/sse?lastEventID=q', { headers: { 'Last-Event-ID': 'h' } }),
      quiet,
    );
    const query = createFetchSseStream(new Request('http://hub.test/sse?lastEventID=q'), quiet);
    assert.equal(header.stream.lastEventId, 'h');
    assert.equal(query.stream.lastEventId, 'q');
    header.stream.close();
    query.stream.close();
  });

  void it('the body carries the frames as encoded, then ends on close()', async () => {
    const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), {
      ...quiet,
      retry: 3000,
      headers: { 'set-cookie': ['a=1', 'b=2'] },
    });
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    stream.send({ event: 'ping', id: '1', data: 'x\ny' });
    stream.comment('c');
    stream.writeRaw('data: raw\n\n');
    stream.close();
    assert.equal(
      await within(response.text(), 'the body'),
      'retry: 3000\n\nevent: ping\nid: 1\ndata: x\ndata: y\n\n: c\n\ndata: raw\n\n',
    );
    assert.equal(stream.closeReason, 'server');
  });

  void it('hands the same pre-encoded Uint8Array to every body, uncopied', async () => {
    const frame = new TextEncoder().encode('data: shared\n\n');
    for (let i = 0; i < 2; i++) {
      const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), quiet);
      stream.writeRaw(frame);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const { value } = await within(reader.read(), 'the frame');
      assert.equal(value, frame);
      stream.close();
    }
  });

  void it('sends heartbeats to an idle body', async () => {
    const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), {
      heartbeatInterval: 20,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const { text } = await readUntil(reader, (t) => count(t, ':\n\n') >= 2);
    assert.match(text, /^(:\n\n)+$/);
    stream.close();
  });

  void it('cancelling the body closes the stream with reason client', async () => {
    const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), quiet);
    const done = closed(stream);
    await (response.body as ReadableStream<Uint8Array>).cancel();
    const [reason] = await done;
    assert.equal(reason, 'client');
    assert.equal(stream.signal.aborted, true);
    assert.equal(stream.send({ data: 'late' }), false);
  });

  void it('request.signal aborting closes the stream with reason client', async () => {
    const abort = new AbortController();
    const { stream } = createFetchSseStream(
      new Request('http://hub.test/', { signal: abort.signal }),
      quiet,
    );
    const done = closed(stream);
    abort.abort();
    assert.equal((await done)[0], 'client');
    // A request that is already aborted gives an already-closed stream.
    const late = createFetchSseStream(new Request('http://hub.test/', { signal: abort.signal }));
    assert.equal(late.stream.closeReason, 'client');
  });

  void describe('backpressure', () => {
    const LIMIT = 64 * 1024;
    const frame = new TextEncoder().encode(`data: ${'x'.repeat(16 * 1024)}\n\n`);

    void it('a body nobody reads is cut off at maxBufferedBytes and errors with the SseError', async () => {
      const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), {
        ...quiet,
        maxBufferedBytes: LIMIT,
      });
      let maxBuffered = 0;
      let sent = 0;
      while (sent < 1000 && stream.writeRaw(frame)) {
        sent++;
        maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
      }
      assert.equal(stream.closeReason, 'slow-consumer');
      assert.equal(sent, Math.floor(LIMIT / frame.byteLength));
      assert.ok(maxBuffered <= LIMIT + frame.byteLength, `buffered ${maxBuffered}`);
      // The queue was dropped: the body errors with the slow-consumer error.
      await assert.rejects(
        (response.body as ReadableStream<Uint8Array>).getReader().read(),
        (error) => isSseError(error, 'SSE_ERR_SLOW_CONSUMER'),
      );
    });

    void it('a body that is read as it goes is never cut off', async () => {
      const { response, stream } = createFetchSseStream(new Request('http://hub.test/'), {
        ...quiet,
        maxBufferedBytes: LIMIT,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      for (let i = 0; i < 100; i++) {
        assert.equal(stream.writeRaw(frame), true);
        await within(reader.read(), 'a frame');
      }
      assert.equal(stream.bufferedBytes, 0);
      stream.close();
    });
  });

  void describe('served through a node http bridge to EventSource', () => {
    const opened = new Queue<SseStream>();
    /** The Fetch-style handler under test. */
    const handler = (request: Request): Response => {
      const { response, stream } = createFetchSseStream(request, quiet);
      opened.push(stream);
      return response;
    };
    // Minimal Fetch-to-node bridge: request.signal aborts and the body is
    // cancelled when the node response closes.
    const bridge = http.createServer((req, res) => {
      const abort = new AbortController();
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      const request = new Request(`http://${req.headers.host ?? 'x'}${req.url ?? '/'}`, {
        headers,
        signal: abort.signal,
      });
      const response = handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.flushHeaders();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      res.on('close', () => {
        abort.abort();
        reader.cancel().catch(() => undefined);
      });
      void (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            res.write(value);
          }
          res.end();
        } catch {
          res.destroy();
        }
      })();
    });
    let base = '';
    const sources = new Set<EventSource>();

    before(async () => {
      base = `http://127.0.0.1:${await listen(bridge)}`;
    });

    after(() => {
      for (const es of sources) es.close();
      bridge.closeAllConnections();
      bridge.close();
    });

    void it('EventSource opens, receives events, and its close is detected', async () => {
      const es = new EventSource(`${base}/sse?lastEventID=41`);
      sources.add(es);
      await within(once(es, 'open'), 'open');
      const stream = await opened.next();
      assert.equal(stream.lastEventId, '41');
      const message = within(once(es, 'message'), 'message');
      stream.send({ id: '42', data: 'via fetch' });
      const [event] = (await message) as [MessageEvent<string>];
      assert.equal(event.data, 'via fetch');
      assert.equal(event.lastEventId, '42');
      const done = closed(stream);
      es.close();
      assert.equal((await done)[0], 'client');
      assert.equal(stream.send({ data: 'late' }), false);
    });
  });
});
