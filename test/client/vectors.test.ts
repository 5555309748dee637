/**
 * The parser's named WHATWG vectors (test/protocol/vectors.ts), read through
 * the client: each vector's bytes are the body of a real HTTP response (and,
 * through a scripted fetch, a body cut into one-byte chunks); every event the
 * EventSource dispatches is compared with the vector's, with the origin of the
 * stream, the last event ID string after the body, and the reconnection delay
 * the last `retry:` asked for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource, type EventSourceOptions } from '../../src/client/index.js';
import { utf8 } from '../protocol/harness.js';
import { vectors, type Vector } from '../protocol/vectors.js';
import { FakeTimers, ScriptedFetch, sseHead, TestServer, within, type Got } from './helpers.js';

function inputBytes(vector: Vector): Uint8Array {
  return typeof vector.input === 'string' ? utf8(vector.input) : vector.input;
}

interface Outcome {
  events: Got[];
  lastEventId: string;
  reconnectDelay: number | undefined;
}

/**
 * Opens an EventSource, records every MessageEvent it dispatches (whatever its
 * type) until the end of the body, then closes it.
 */
async function read(url: string, vector: Vector, options: EventSourceOptions): Promise<Outcome> {
  const events: Got[] = [];
  const source = new EventSource(url, {
    timers: new FakeTimers(),
    ...(vector.options?.lastEventId === undefined
      ? {}
      : { lastEventId: vector.options.lastEventId }),
    ...(vector.options?.maxEventSize === undefined
      ? {}
      : { maxEventSize: vector.options.maxEventSize }),
    ...options,
  });
  // A spy on dispatchEvent sees events of every type, named or not.
  const dispatch = source.dispatchEvent.bind(source);
  source.dispatchEvent = (event: Event): boolean => {
    if (event instanceof MessageEvent) {
      const message = event as MessageEvent<string>;
      events.push({
        type: message.type,
        data: message.data,
        lastEventId: message.lastEventId,
        origin: message.origin,
      });
    }
    return dispatch(event);
  };
  const ended = await within(
    new Promise<Event & { reconnectDelay?: number; code?: string }>((resolve) => {
      source.addEventListener('error', resolve, { once: true });
    }),
    'the end of the body',
  );
  source.close();
  assert.equal(ended.code, 'SSE_ERR_DISCONNECTED');
  return { events, lastEventId: source.lastEventId, reconnectDelay: ended.reconnectDelay };
}

function check(outcome: Outcome, vector: Vector, origin: string): void {
  assert.deepEqual(
    outcome.events,
    vector.events.map((e) => ({ ...e, origin })),
  );
  assert.equal(outcome.lastEventId, vector.lastEventId ?? '');
  const retries = vector.retries ?? [];
  assert.equal(outcome.reconnectDelay, retries.length > 0 ? retries.at(-1) : 3000);
}

let server: TestServer;
before(async () => {
  server = await TestServer.start((req, res) => {
    const vector = vectors[Number(new URL(req.url ?? '/', 'http://x').searchParams.get('v'))];
    sseHead(res);
    res.end(vector === undefined ? '' : inputBytes(vector));
  });
});
after(() => server.close());

void describe('parser vectors through EventSource', () => {
  void it('has vectors', () => {
    assert.ok(vectors.length > 40);
  });

  vectors.forEach((vector, index) => {
    void describe(vector.name, () => {
      void it('as one HTTP response body', async () => {
        const outcome = await read(server.url(`/?v=${index}`), vector, {});
        check(outcome, vector, `http://127.0.0.1:${server.port}`);
      });

      void it('as one-byte chunks', async () => {
        const bytes = inputBytes(vector);
        const scripted = new ScriptedFetch([
          {
            kind: 'response',
            response: () =>
              new Response(
                new ReadableStream<Uint8Array>({
                  start(controller) {
                    for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
                    controller.close();
                  },
                }),
                { headers: { 'content-type': 'text/event-stream' } },
              ),
          },
        ]);
        const outcome = await read('https://stream.example/vector', vector, {
          fetch: scripted.fetch,
        });
        check(outcome, vector, 'https://stream.example');
      });
    });
  });
});
