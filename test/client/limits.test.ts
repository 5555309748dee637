/**
 * What keeps a client alive and bounded: stall detection (no bytes for
 * stallTimeout → abort, reconnect), the AbortSignal option, and hostile
 * streams (an endless line, a giant event) cut off by maxEventSize with
 * SSE_ERR_EVENT_TOO_LARGE after reading no more than the limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from '../../src/client/index.js';
import {
  FakeTimers,
  Recorder,
  ScriptedFetch,
  settle,
  sseHead,
  TestServer,
  within,
  type Handler,
} from './helpers.js';

let server: TestServer;
before(async () => {
  server = await TestServer.start(() => undefined);
});
after(() => server.close());

function open(
  handler: Handler,
  options: ConstructorParameters<typeof EventSource>[1] = {},
): { source: EventSource; rec: Recorder; timers: FakeTimers } {
  server.handler = handler;
  server.requests.length = 0;
  const timers = new FakeTimers();
  const source = new EventSource(server.url('/'), { timers, ...options });
  return { source, rec: new Recorder(source), timers };
}

const encoder = new TextEncoder();

/**
 * A response whose body is produced on demand (pull): `chunk(i)` for the i-th
 * read, forever. Counts what was pulled and whether the client cancelled.
 */
function endless(chunk: (i: number) => string): {
  response: Response;
  stats: { pulls: number; bytes: number; cancelled: boolean };
} {
  const stats = { pulls: 0, bytes: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const bytes = encoder.encode(chunk(stats.pulls));
        stats.pulls += 1;
        stats.bytes += bytes.byteLength;
        controller.enqueue(bytes);
      },
      cancel() {
        stats.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    stats,
  };
}

void describe('stall detection', () => {
  void it('no bytes for stallTimeout ms after data: abort, SSE_ERR_STALLED, reconnect', async () => {
    const { source, rec, timers } = open(
      (_req, res, _seen, index) => {
        sseHead(res);
        res.write(`data: ${index}\n\n`);
      },
      { stallTimeout: 45_000 },
    );
    assert.equal((await rec.messages.next()).data, '0');
    assert.deepEqual(timers.pending, [45_000]);
    timers.fire(45_000);
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_STALLED');
    assert.match(error.message, /no data for 45000 ms/);
    assert.equal(source.readyState, EventSource.CONNECTING);
    await within(
      server.requests[0]?.closed ?? Promise.resolve(),
      'the stalled request to be aborted',
    );
    assert.deepEqual(timers.pending, [3000]);
    timers.fire(3000);
    assert.equal((await rec.messages.next()).data, '1');
    source.close();
    assert.deepEqual(timers.pending, []);
  });

  void it('a server that never answers stalls too', async () => {
    const { source, rec, timers } = open(() => undefined, { stallTimeout: 10_000 });
    await server.arrivals.next();
    assert.deepEqual(timers.pending, [10_000]);
    timers.fire(10_000);
    assert.equal((await rec.errors.next()).code, 'SSE_ERR_STALLED');
    source.close();
  });

  void it('every chunk (heartbeat comments too) re-arms the timer', async () => {
    let push: ((text: string) => void) | undefined;
    const scripted = new ScriptedFetch([
      {
        kind: 'response',
        response: () =>
          new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                push = (text) => {
                  controller.enqueue(encoder.encode(text));
                };
              },
            }),
            { headers: { 'content-type': 'text/event-stream' } },
          ),
      },
    ]);
    const timers = new FakeTimers();
    const source = new EventSource('https://x.example/', {
      fetch: scripted.fetch,
      timers,
      stallTimeout: 1000,
    });
    const rec = new Recorder(source);
    await rec.opens.next();
    await settle();
    const armed = timers.delays.length;
    assert.deepEqual(timers.pending, [1000]);
    for (let i = 0; i < 3; i++) {
      push?.(':heartbeat\n\n');
      await settle();
    }
    assert.equal(timers.delays.length, armed + 3, 're-armed once per chunk');
    assert.deepEqual(timers.pending, [1000], 'one stall timer at a time');
    assert.deepEqual(rec.log, ['open']);
    source.close();
    assert.deepEqual(timers.pending, []);
  });

  void it('is off by default (browser behaviour)', async () => {
    const { source, rec, timers } = open((_req, res) => {
      sseHead(res);
      res.write('data: x\n\n');
    });
    await rec.messages.next();
    assert.deepEqual(timers.pending, []);
    source.close();
  });
});

void describe('signal', () => {
  void it('aborting closes: readyState CLOSED, the request aborted, no error event, no timer', async () => {
    const controller = new AbortController();
    const { source, rec, timers } = open(
      (_req, res) => {
        sseHead(res);
        res.write('data: x\n\n');
      },
      { signal: controller.signal },
    );
    await rec.messages.next();
    controller.abort();
    assert.equal(source.readyState, EventSource.CLOSED);
    await within(server.requests[0]?.closed ?? Promise.resolve(), 'the request to be aborted');
    await settle();
    assert.deepEqual(rec.log, ['open', 'message']);
    assert.deepEqual(timers.pending, []);
  });

  void it('an already aborted signal: CLOSED at once, no request', async () => {
    const scripted = new ScriptedFetch([]);
    const source = new EventSource('https://x.example/', {
      fetch: scripted.fetch,
      signal: AbortSignal.abort(),
    });
    assert.equal(source.readyState, EventSource.CLOSED);
    await settle();
    assert.equal(scripted.calls.length, 0);
  });

  void it('aborting during the reconnection wait cancels it', async () => {
    const controller = new AbortController();
    const { source, rec, timers } = open(
      (_req, res) => {
        sseHead(res);
        res.end('data: x\n\n');
      },
      { signal: controller.signal },
    );
    await rec.errors.next();
    assert.deepEqual(timers.pending, [3000]);
    controller.abort();
    assert.deepEqual(timers.pending, []);
    assert.equal(source.readyState, EventSource.CLOSED);
  });
});

void describe('hostile streams', () => {
  for (const [name, chunk] of [
    ['an endless line', (i: number) => (i === 0 ? 'data: ' : 'x'.repeat(65_536))],
    ['a giant event of many data lines', () => `data: ${'y'.repeat(1023)}\n`.repeat(64)],
    ['an endless comment', (i: number) => (i === 0 ? ':' : 'z'.repeat(65_536))],
  ] as const) {
    void it(`${name} fails with SSE_ERR_EVENT_TOO_LARGE after reading about maxEventSize`, async () => {
      const { response, stats } = endless(chunk);
      const scripted = new ScriptedFetch([{ kind: 'response', response: () => response }]);
      const timers = new FakeTimers();
      const maxEventSize = 1024 * 1024;
      const source = new EventSource('https://x.example/', {
        fetch: scripted.fetch,
        timers,
        maxEventSize,
      });
      const rec = new Recorder(source);
      const error = await rec.errors.next();
      assert.equal(error.code, 'SSE_ERR_EVENT_TOO_LARGE');
      assert.equal(error.reconnectDelay, undefined);
      assert.equal(source.readyState, EventSource.CLOSED);
      assert.deepEqual(timers.pending, []);
      await settle();
      assert.ok(stats.cancelled, 'the body was cancelled');
      assert.ok(stats.bytes <= maxEventSize + 2 * 65_536, `read ${stats.bytes} bytes`);
      assert.equal(scripted.calls.length, 1, 'no reconnection');
      assert.equal(rec.all.length, 0);
    });
  }

  void it('the default limit (8 Mi) also cuts off an endless line', async () => {
    const { response, stats } = endless((i) => (i === 0 ? 'data: ' : 'x'.repeat(262_144)));
    const scripted = new ScriptedFetch([{ kind: 'response', response: () => response }]);
    const source = new EventSource('https://x.example/', {
      fetch: scripted.fetch,
      timers: new FakeTimers(),
    });
    const rec = new Recorder(source);
    assert.equal((await rec.errors.next()).code, 'SSE_ERR_EVENT_TOO_LARGE');
    assert.ok(stats.bytes <= 8 * 1024 * 1024 + 2 * 262_144, `read ${stats.bytes} bytes`);
    assert.equal(source.readyState, EventSource.CLOSED);
  });

  void it('events before the oversize one are delivered; none after it', async () => {
    const { response } = endless((i) =>
      i === 0 ? 'data: ok\n\ndata: ' + 'x'.repeat(2000) + '\n\ndata: after\n\n' : '',
    );
    const scripted = new ScriptedFetch([{ kind: 'response', response: () => response }]);
    const source = new EventSource('https://x.example/', {
      fetch: scripted.fetch,
      timers: new FakeTimers(),
      maxEventSize: 1000,
    });
    const rec = new Recorder(source);
    assert.equal((await rec.errors.next()).code, 'SSE_ERR_EVENT_TOO_LARGE');
    assert.deepEqual(
      rec.all.map((m) => m.data),
      ['ok'],
    );
  });

  void it('over a real connection: the server sees the client go', async () => {
    let written = 0;
    const { source, rec } = open(
      (_req, res) => {
        sseHead(res);
        const block = Buffer.alloc(65_536, 'x');
        res.write('data: ');
        const pump = (): void => {
          while (!res.destroyed) {
            written += block.length;
            if (!res.write(block)) {
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
      { maxEventSize: 256 * 1024 },
    );
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_EVENT_TOO_LARGE');
    assert.match(error.message, /maxEventSize \(262144 characters\)/);
    await within(server.requests[0]?.closed ?? Promise.resolve(), 'the server to see the close');
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.ok(written > 256 * 1024);
  });
});
