/**
 * The client never lets a promise of its own go unhandled: whatever a custom
 * `fetch`, a `headers` function or a response body does (a node-fetch style
 * Node stream, `body: null`, no Response at all, a non-Error rejection, a
 * reader whose `cancel()` throws), the outcome is an error event (or
 * nothing, after `close()`), never an `unhandledRejection` or
 * `uncaughtException` that would kill a Node process.
 *
 * Every test runs under a trap on both process events and asserts it stayed
 * empty. No sockets: the `fetch` is scripted; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  connect,
  EventSource,
  type EventSourceOptions,
  type FetchLike,
  type SseErrorEvent,
} from '../../src/client/index.js';
import type { SseErrorCode } from '../../src/index.js';
import { isSseError } from '../../src/protocol/index.js';
import { FakeTimers, Recorder, settle, sseResponse, within } from '../client/helpers.js';

/** What reached the process-level handlers while the tests ran. */
const trapped: { event: string; value: unknown }[] = [];
const onRejection = (value: unknown): void => {
  trapped.push({ event: 'unhandledRejection', value });
};
const onException = (value: unknown): void => {
  trapped.push({ event: 'uncaughtException', value });
};
before(() => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
after(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

const open: EventSource[] = [];
afterEach(() => {
  for (const source of open.splice(0)) source.close();
});

/** Lets every pending promise job and a few macrotasks run, then asserts the trap is empty. */
async function assertNothingTrapped(): Promise<void> {
  await settle();
  await settle();
  const seen = trapped.splice(0).map(({ event, value }) => `${event}: ${safeString(value)}`);
  assert.deepEqual(seen, [], 'no unhandled rejection or uncaught exception');
}

function safeString(value: unknown): string {
  try {
    return value instanceof Error ? (value.stack ?? value.message) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An EventSource on a scripted fetch and fake timers (no reconnection fires unless told). */
function source(
  fetch: FetchLike,
  options: EventSourceOptions = {},
): {
  es: EventSource;
  rec: Recorder;
  timers: FakeTimers;
} {
  const timers = new FakeTimers();
  const es = new EventSource('http://127.0.0.1:9/events', { fetch, timers, ...options });
  open.push(es);
  return { es, rec: new Recorder(es), timers };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream' };

/** What node-fetch v2/v3 resolves with: a Response-like object whose body is a Node Readable. */
function nodeFetchStyle(
  status: number,
  headers: Record<string, string>,
  body: Readable | null,
): unknown {
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Internal Server Error',
    ok: status === 200,
    redirected: false,
    url: 'http://127.0.0.1:9/events',
    headers: new Headers(headers),
    body,
  };
}

function answer(value: unknown): FetchLike {
  return () => Promise.resolve(value as Response);
}

async function firstError(rec: Recorder): Promise<SseErrorEvent> {
  return rec.errors.next('an error event');
}

function expectFailed(
  es: EventSource,
  rec: Recorder,
  event: SseErrorEvent,
  code: SseErrorCode,
): void {
  assert.equal(event.code, code, event.message);
  assert.equal(event.reconnectDelay, undefined, 'the connection failed: no reconnection');
  assert.equal(es.readyState, EventSource.CLOSED);
  assert.equal(rec.log.includes('open'), false, 'no open event for a response that cannot be read');
}

void describe('client: no unhandled promise, whatever fetch returns', () => {
  void it('a 200 text/event-stream whose body is a Node stream (node-fetch) is SSE_ERR_INVALID_RESPONSE, CLOSED', async () => {
    const body = Readable.from(['data: x\n\n']);
    const { es, rec } = source(answer(nodeFetchStyle(200, SSE_HEADERS, body)));
    const error = await firstError(rec);
    expectFailed(es, rec, error, 'SSE_ERR_INVALID_RESPONSE');
    assert.match(error.message, /ReadableStream/);
    await assertNothingTrapped();
    assert.equal(body.destroyed, true, 'the Node stream is released');
  });

  void it('a 200 text/event-stream with body null is SSE_ERR_INVALID_RESPONSE, CLOSED (it can never be read)', async () => {
    const { es, rec } = source(answer(new Response(null, { status: 200, headers: SSE_HEADERS })));
    expectFailed(es, rec, await firstError(rec), 'SSE_ERR_INVALID_RESPONSE');
    await assertNothingTrapped();
  });

  void it('fetch resolving with no Response at all (undefined, a string, headers without get) is SSE_ERR_INVALID_RESPONSE', async () => {
    for (const value of [
      undefined,
      null,
      'data: x\n\n',
      { status: 200, headers: SSE_HEADERS, body: null },
      { status: '200', headers: new Headers(SSE_HEADERS), body: null },
    ]) {
      const { es, rec } = source(answer(value));
      expectFailed(es, rec, await firstError(rec), 'SSE_ERR_INVALID_RESPONSE');
      await assertNothingTrapped();
    }
  });

  void it('a 500 with a Node stream body is SSE_ERR_HTTP_STATUS (status kept), and the stream is released', async () => {
    const body = Readable.from(['server exploded']);
    const { es, rec } = source(answer(nodeFetchStyle(500, { 'content-type': 'text/plain' }, body)));
    const error = await firstError(rec);
    expectFailed(es, rec, error, 'SSE_ERR_HTTP_STATUS');
    assert.equal(error.status, 500);
    await assertNothingTrapped();
    assert.equal(body.destroyed, true);
  });

  void it('a 200 of the wrong content type with a Node stream body is SSE_ERR_CONTENT_TYPE', async () => {
    const body = Readable.from(['<html>']);
    const { es, rec } = source(answer(nodeFetchStyle(200, { 'content-type': 'text/html' }, body)));
    expectFailed(es, rec, await firstError(rec), 'SSE_ERR_CONTENT_TYPE');
    await assertNothingTrapped();
    assert.equal(body.destroyed, true);
  });

  void it('connect(): a Node stream body ends the loop with SSE_ERR_INVALID_RESPONSE', async () => {
    const stream = connect('http://127.0.0.1:9/events', {
      fetch: answer(nodeFetchStyle(200, SSE_HEADERS, Readable.from(['data: x\n\n']))),
      timers: new FakeTimers(),
    });
    await assert.rejects(within(stream.next(), 'the loop to throw'), (error: unknown) =>
      isSseError(error, 'SSE_ERR_INVALID_RESPONSE'),
    );
    assert.equal(stream.readyState, 2);
    await assertNothingTrapped();
  });

  void it('close() while fetch is pending, then fetch resolves with a Node stream: nothing fires, nothing leaks', async () => {
    let resolve!: (value: Response) => void;
    const body = Readable.from(['data: x\n\n']);
    const { es, rec } = source(
      () =>
        new Promise<Response>((r) => {
          resolve = r;
        }),
    );
    await settle();
    es.close();
    resolve(nodeFetchStyle(200, SSE_HEADERS, body) as Response);
    await assertNothingTrapped();
    assert.deepEqual(rec.log, []);
    assert.equal(body.destroyed, true);
  });

  void it('a response whose body is locked already (read by the fetch wrapper) is SSE_ERR_INVALID_RESPONSE, no open', async () => {
    const response = sseResponse(['data: x\n\n']);
    response.body?.getReader();
    const { es, rec } = source(answer(response));
    const error = await firstError(rec);
    expectFailed(es, rec, error, 'SSE_ERR_INVALID_RESPONSE');
    await assertNothingTrapped();
  });

  void it('an open listener that tries to consume the body cannot: the client owns it and keeps reading', async () => {
    const { es, rec } = source(answer(sseResponse(['data: x\n\n'])));
    const attempts: Promise<unknown>[] = [];
    es.addEventListener('open', (event) => {
      attempts.push(event.response.text());
    });
    assert.equal((await rec.messages.next('the message')).data, 'x');
    assert.equal(attempts.length, 1);
    await assert.rejects(attempts[0] ?? Promise.resolve(), TypeError);
    await assertNothingTrapped();
  });
});

void describe('client: no unhandled promise from headers, fetch or the body reader', () => {
  void it('a headers function that throws synchronously is SSE_ERR_NETWORK (reconnects)', async () => {
    const { es, rec } = source(answer(sseResponse([])), {
      headers: () => {
        throw new Error('token store offline');
      },
    });
    const error = await firstError(rec);
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.match(error.message, /token store offline/);
    assert.equal(es.readyState, EventSource.CONNECTING);
    await assertNothingTrapped();
  });

  void it('a headers function rejecting with a non-Error (even a null-prototype object) is SSE_ERR_NETWORK', async () => {
    for (const reason of ['nope', undefined, 42, Object.create(null) as object, Symbol('s')]) {
      const { es, rec } = source(answer(sseResponse([])), {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point: a non-Error reason
        headers: () => Promise.reject(reason),
      });
      const error = await firstError(rec);
      assert.equal(error.code, 'SSE_ERR_NETWORK');
      assert.equal(es.readyState, EventSource.CONNECTING);
      await assertNothingTrapped();
    }
  });

  void it('a headers function returning invalid headers is SSE_ERR_NETWORK', async () => {
    const { rec } = source(answer(sseResponse([])), {
      headers: () => ({ 'bad header name': 'x' }),
    });
    assert.equal((await firstError(rec)).code, 'SSE_ERR_NETWORK');
    await assertNothingTrapped();
  });

  void it('a custom fetch that throws synchronously is SSE_ERR_NETWORK', async () => {
    const { rec } = source(() => {
      throw new TypeError('sync boom');
    });
    const error = await firstError(rec);
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.match(error.message, /sync boom/);
    await assertNothingTrapped();
  });

  void it('a custom fetch rejecting with a null-prototype object or an Error whose message getter throws is SSE_ERR_NETWORK', async () => {
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    for (const reason of [Object.create(null) as object, hostile]) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point: a non-Error reason
      const { rec } = source(() => Promise.reject(reason));
      assert.equal((await firstError(rec)).code, 'SSE_ERR_NETWORK');
      await assertNothingTrapped();
    }
  });

  void it('a body whose read() rejects with a non-Error is SSE_ERR_NETWORK after the open', async () => {
    for (const reason of ['reset', undefined, Object.create(null) as object]) {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(reason);
        },
      });
      const { es, rec } = source(answer(new Response(body, { status: 200, headers: SSE_HEADERS })));
      const error = await firstError(rec);
      assert.equal(error.code, 'SSE_ERR_NETWORK');
      assert.deepEqual(rec.log, ['open', 'error']);
      assert.equal(es.readyState, EventSource.CONNECTING);
      await assertNothingTrapped();
    }
  });

  void it('a body whose cancel() rejects: close() while reading, and a refused response, stay quiet', async () => {
    const rejectingBody = (): ReadableStream<Uint8Array> =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(': hello\n'));
        },
        cancel() {
          return Promise.reject(new Error('cancel refused'));
        },
      });
    // close() while reading: the reader is cancelled.
    const first = source(
      answer(new Response(rejectingBody(), { status: 200, headers: SSE_HEADERS })),
    );
    await first.rec.opens.next('open');
    first.es.close();
    await assertNothingTrapped();
    // A refused response: its body is cancelled.
    for (const init of [
      { status: 200, headers: { 'content-type': 'text/html' } },
      { status: 500, headers: { 'content-type': 'text/html' } },
      { status: 500, headers: { 'content-type': 'text/plain' } },
    ]) {
      const { rec, timers } = source(answer(new Response(rejectingBody(), init)));
      if (init.headers['content-type'] === 'text/plain') {
        // The client waits (on its timers) for a quotable error body: let the wait end.
        await settle();
        timers.fire(1000);
      }
      await firstError(rec);
      await assertNothingTrapped();
    }
  });

  void it('a duck-typed body whose reader throws synchronously on cancel() and read() stays quiet', async () => {
    const reader = {
      read(): Promise<ReadableStreamReadResult<Uint8Array>> {
        throw new Error('read exploded');
      },
      cancel(): Promise<void> {
        throw new Error('cancel exploded');
      },
      releaseLock(): void {
        /* nothing */
      },
    };
    const response = {
      status: 200,
      statusText: 'OK',
      redirected: false,
      url: '',
      headers: new Headers(SSE_HEADERS),
      body: { getReader: () => reader, cancel: () => reader.cancel() },
    };
    const { es, rec } = source(answer(response));
    const error = await firstError(rec);
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.match(error.message, /read exploded/);
    es.close();
    await assertNothingTrapped();
  });

  void it('injected timers whose setTimeout throws on the reconnection: an error event, not a crash', async () => {
    let calls = 0;
    const es = new EventSource('http://127.0.0.1:9/events', {
      fetch: answer(sseResponse([])),
      timers: {
        setTimeout: () => {
          calls += 1;
          throw new Error('no timers here');
        },
        clearTimeout: () => undefined,
      },
    });
    open.push(es);
    const rec = new Recorder(es);
    await firstError(rec);
    for (let i = 0; i < 20 && es.readyState !== EventSource.CLOSED; i++) await settle();
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.deepEqual(
      rec.errorList.map((event) => event.code),
      ['SSE_ERR_DISCONNECTED', 'SSE_ERR_INTERNAL'],
    );
    assert.ok(calls > 0);
    await assertNothingTrapped();
  });
});
