/**
 * connect(): events in a `for await` loop, reconnections inside the loop,
 * fatal errors thrown from it after the events before them, `break` and the
 * signal closing the connection, and backpressure (a slow consumer stops the
 * body from being read).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, SseErrorEvent, type SseMessage } from '../../src/client/index.js';
import { isSseError } from '../../src/protocol/index.js';
import {
  FakeTimers,
  ScriptedFetch,
  settle,
  sseHead,
  streams,
  TestServer,
  within,
} from './helpers.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start(() => undefined);
});
after(() => server.close());

const encoder = new TextEncoder();

void describe('connect()', () => {
  void it('yields events with type, data, lastEventId and origin; break closes the connection', async () => {
    server.handler = (_req, res) => {
      sseHead(res);
      res.write('data: a\n\nevent: tick\nid: 2\ndata: b\n\ndata: stop\n\ndata: never\n\n');
    };
    const stream = connect(server.url('/'), { timers: new FakeTimers() });
    const got: SseMessage[] = [];
    for await (const message of stream) {
      got.push(message);
      if (message.data === 'stop') break;
    }
    const origin = `http://127.0.0.1:${server.port}`;
    assert.deepEqual(got, [
      { type: 'message', data: 'a', lastEventId: '', origin },
      { type: 'tick', data: 'b', lastEventId: '2', origin },
      { type: 'message', data: 'stop', lastEventId: '2', origin },
    ]);
    assert.equal(stream.readyState, 2);
    assert.equal(stream.lastEventId, '2');
    await within(server.requests.at(-1)?.closed ?? Promise.resolve(), 'the request to close');
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  });

  void it('reconnects inside the loop (onError sees it), with Last-Event-ID', async () => {
    server.handler = streams('id: 1\ndata: first\n\n', 'data: second\n\n');
    server.requests.length = 0;
    const timers = new FakeTimers();
    const errors: SseErrorEvent[] = [];
    const opens: number[] = [];
    const stream = connect(server.url('/'), {
      timers,
      onOpen: (event) => opens.push(event.status),
      onError: (event) => {
        errors.push(event);
        // The timer is set once the error event has been handled.
        if (event.reconnectDelay !== undefined) queueMicrotask(() => timers.fireNext());
      },
    });
    const data: string[] = [];
    for await (const message of stream) {
      data.push(message.data);
      if (data.length === 2) break;
    }
    assert.deepEqual(data, ['first', 'second']);
    assert.deepEqual(opens, [200, 200]);
    assert.equal(errors[0]?.code, 'SSE_ERR_DISCONNECTED');
    assert.equal(server.requests[1]?.headers['last-event-id'], '1');
  });

  void it('throws a fatal error (with code and status) after the events before it', async () => {
    server.handler = (_req, res, _seen, index) => {
      if (index % 2 === 0) {
        sseHead(res);
        res.end('data: before\n\n');
      } else {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('missing token\n');
      }
    };
    server.requests.length = 0;
    const timers = new FakeTimers();
    const stream = connect(server.url('/'), {
      timers,
      onError: (event) => {
        // The timer is set once the error event has been handled.
        if (event.reconnectDelay !== undefined) queueMicrotask(() => timers.fireNext());
      },
    });
    const data: string[] = [];
    await assert.rejects(
      async () => {
        for await (const message of stream) data.push(message.data);
      },
      (error: unknown) =>
        isSseError(error, 'SSE_ERR_HTTP_STATUS') &&
        error.status === 401 &&
        error.message === 'HTTP 401 Unauthorized: missing token',
    );
    assert.deepEqual(data, ['before']);
    assert.equal(stream.readyState, 2);
  });

  void it('throws SSE_ERR_MAX_RETRIES when reconnection gives up', async () => {
    const scripted = new ScriptedFetch([
      { kind: 'reject', error: () => new TypeError('fetch failed') },
    ]);
    const timers = new FakeTimers();
    const stream = connect('https://x.example/', {
      fetch: scripted.fetch,
      timers,
      maxRetries: 2,
      onError: (event) => {
        // The timer is set once the error event has been handled.
        if (event.reconnectDelay !== undefined) queueMicrotask(() => timers.fireNext());
      },
    });
    await assert.rejects(
      async () => {
        for await (const _ of stream) assert.fail('no event expected');
      },
      { code: 'SSE_ERR_MAX_RETRIES' },
    );
    assert.equal(scripted.calls.length, 3);
  });

  void it('an aborted signal ends the loop quietly and aborts the request', async () => {
    server.handler = (_req, res) => {
      sseHead(res);
      res.write('data: 1\n\n');
    };
    server.requests.length = 0;
    const controller = new AbortController();
    const got: string[] = [];
    for await (const message of connect(server.url('/'), {
      signal: controller.signal,
      timers: new FakeTimers(),
    })) {
      got.push(message.data);
      controller.abort();
    }
    assert.deepEqual(got, ['1']);
    await within(server.requests[0]?.closed ?? Promise.resolve(), 'the request to close');
  });

  void it('close() ends the loop after the queued events', async () => {
    const stream = connect('https://x.example/', {
      fetch: () =>
        Promise.resolve(
          new Response('data: 1\n\ndata: 2\n\n', {
            headers: { 'content-type': 'text/event-stream' },
          }),
        ),
      timers: new FakeTimers(),
      onOpen: () => undefined,
    });
    await settle();
    stream.close();
    const got: string[] = [];
    for await (const message of stream) got.push(message.data);
    assert.deepEqual(got, ['1', '2']);
  });

  void it('an exception in onOpen is thrown from the loop and closes the connection', async () => {
    const stream = connect('https://x.example/', {
      fetch: () =>
        Promise.resolve(
          new Response('data: 1\n\n', { headers: { 'content-type': 'text/event-stream' } }),
        ),
      timers: new FakeTimers(),
      onOpen: () => {
        throw new Error('boom');
      },
    });
    await assert.rejects(async () => {
      for await (const _ of stream) assert.fail('no event expected');
    }, /boom/);
    assert.equal(stream.readyState, 2);
  });

  void it('checks its URL and options like EventSource', () => {
    assert.throws(() => connect('not a url'), { name: 'SyntaxError' });
    assert.throws(() => connect('https://x.example/', { queueSize: 0 }), {
      code: 'SSE_ERR_INVALID_OPTION',
      field: 'queueSize',
    });
  });
});

void describe('connect(): backpressure', () => {
  void it('stops reading the body while queueSize events wait, resumes as they are consumed', async () => {
    let pulls = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(encoder.encode(`id: ${pulls}\ndata: event ${pulls}\n\n`));
          pulls += 1;
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const stream = connect('https://x.example/', {
      fetch: () =>
        Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } })),
      timers: new FakeTimers(),
      queueSize: 8,
    });
    await settle();
    await settle();
    // One event per chunk: reading stops with 8 queued (one more may be in flight).
    assert.ok(pulls >= 8 && pulls <= 9, `pulled ${pulls} chunks`);
    const before = pulls;
    await settle();
    assert.equal(pulls, before, 'no reading while the consumer is away');

    const got: string[] = [];
    for await (const message of stream) {
      got.push(message.lastEventId);
      if (got.length === 40) break;
    }
    assert.deepEqual(
      got,
      Array.from({ length: 40 }, (_, i) => String(i)),
    );
    assert.ok(pulls >= 40 && pulls <= 40 + 9, `pulled ${pulls} chunks`);
    await settle();
    assert.ok(cancelled, 'break cancelled the body');
  });

  void it('a consumer that keeps up never pauses: all events of a long stream arrive in order', async () => {
    const text = Array.from({ length: 500 }, (_, i) => `data: ${i}\n\n`).join('');
    const stream = connect('https://x.example/', {
      fetch: () =>
        Promise.resolve(new Response(text, { headers: { 'content-type': 'text/event-stream' } })),
      timers: new FakeTimers(),
      queueSize: 4,
      maxRetries: 0,
    });
    const got: number[] = [];
    await assert.rejects(
      async () => {
        for await (const message of stream) got.push(Number(message.data));
      },
      { code: 'SSE_ERR_MAX_RETRIES' },
    );
    assert.equal(got.length, 500);
    assert.ok(got.every((n, i) => n === i));
  });
});
