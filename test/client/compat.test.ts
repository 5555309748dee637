/**
 * ssehub's EventSource next to the `eventsource` npm package (v4, the common
 * Node polyfill), against the same servers: the same events, the same request
 * headers, the same refusals and redirects. Where `eventsource` departs from
 * the WHATWG text (named below, each checked to still be so), ssehub follows
 * the text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource as Reference } from 'eventsource';
import { EventSource } from '../../src/client/index.js';
import { utf8 } from '../protocol/harness.js';
import { vectors } from '../protocol/vectors.js';
import { sseHead, TestServer, within, type Handler } from './helpers.js';

interface Seen {
  events: { type: string; data: string; lastEventId: string; origin: string }[];
  readyState: number;
  error: Event & { code?: unknown; status?: unknown };
}

/** Any EventSource-like object. */
type Source = EventTarget & { readyState: number; close(): void };

/** Records every MessageEvent `source` dispatches until its first error event. */
async function untilError(source: Source): Promise<Seen> {
  const events: Seen['events'] = [];
  const dispatch = source.dispatchEvent.bind(source);
  source.dispatchEvent = (event: Event): boolean => {
    if (event instanceof MessageEvent) {
      const { type, data, lastEventId, origin } = event as MessageEvent<string>;
      events.push({ type, data, lastEventId, origin });
    }
    return dispatch(event);
  };
  const error = await within(
    new Promise<Seen['error']>((resolve) => {
      source.addEventListener('error', resolve, { once: true });
    }),
    'an error event',
  );
  const readyState = source.readyState;
  source.close();
  return { events, readyState, error };
}

let server: TestServer;
let other: TestServer;
before(async () => {
  server = await TestServer.start(() => undefined);
  other = await TestServer.start((_req, res) => {
    sseHead(res);
    res.end('data: over there\n\n');
  }, 'localhost');
});
after(async () => {
  await server.close();
  await other.close();
});

async function both(handler: Handler, path = '/'): Promise<[Seen, Seen]> {
  server.handler = handler;
  const ours = await untilError(new EventSource(server.url(path)));
  const theirs = await untilError(new Reference(server.url(path)));
  return [ours, theirs];
}

/** Vectors where `eventsource` v4 departs from the WHATWG text (and ssehub does not). */
const DEPARTURES = new Map<string, string>([
  [
    '[spec] CR CR is two line ends (a blank line)',
    'waits for a byte after a CR that ends the body, so the last event is lost',
  ],
  [
    '[spec] a lone CR ends the line at once: the event dispatches without waiting for the next byte',
    'same: a CR at the end of the body does not end the line',
  ],
  [
    '[spec] id persists across events until changed; empty id resets to empty ("The buffer does not get reset")',
    "gives events without an id field an empty lastEventId instead of the source's last event ID string",
  ],
  [
    '[spec] id with NUL is ignored ("If the field value does not contain U+0000 NULL"; wpt format-field-id-null)',
    'same (the ignored id leaves events with an empty lastEventId)',
  ],
  [
    '[spec] block without data dispatches nothing but still sets last event ID (seen on the next event and on parser.lastEventId)',
    'same',
  ],
  ['[spec] a stream of many blocks: types, ids, comments and retry together', 'same'],
]);

void describe('compared with the eventsource package', () => {
  void describe('parser vectors: the same events, except where eventsource departs from the spec', () => {
    vectors.forEach((vector, index) => {
      if (vector.options !== undefined) return; // options of our parser only
      void it(vector.name, async () => {
        const [ours, theirs] = await both((_req, res) => {
          sseHead(res);
          res.end(typeof vector.input === 'string' ? utf8(vector.input) : vector.input);
        }, `/?v=${index}`);
        const expected = vector.events.map((e) => ({
          ...e,
          origin: `http://127.0.0.1:${server.port}`,
        }));
        assert.deepEqual(ours.events, expected);
        if (DEPARTURES.has(vector.name)) {
          assert.notDeepEqual(theirs.events, expected, 'eventsource follows the spec here now');
        } else {
          assert.deepEqual(theirs.events, ours.events);
        }
      });
    });
  });

  void it('send the same Accept, Cache-Control and Last-Event-ID headers', async () => {
    const headersOf = async (make: () => Source): Promise<unknown[][]> => {
      server.reset((_req, res, _seen, index) => {
        sseHead(res);
        // The first stream ends (reconnect in 5 ms); the second stays open.
        if (index === 0) res.end('retry: 5\nid: 41\ndata: x\n\n');
      });
      const source = make();
      const requests = [await server.arrivals.next(), await server.arrivals.next()];
      source.close();
      return requests.map(({ headers }) => [
        headers.accept,
        headers['cache-control'],
        headers['last-event-id'],
      ]);
    };
    const ours = await headersOf(() => new EventSource(server.url('/')));
    const theirs = await headersOf(() => new Reference(server.url('/')));
    assert.deepEqual(ours, [
      ['text/event-stream', 'no-cache', undefined],
      ['text/event-stream', 'no-cache', '41'],
    ]);
    assert.deepEqual(theirs, ours);
  });

  void it('pass init.headers to a custom fetch as a plain object: spreading it keeps Accept and Last-Event-ID', async () => {
    type Init = RequestInit & { headers?: unknown };
    // The pattern eventsource's README teaches for an Authorization header.
    const withToken = (url: string | URL | Request, init?: Init): Promise<Response> =>
      fetch(url, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), Authorization: 'Bearer t' },
      });
    const headersOf = async (make: () => Source): Promise<unknown[][]> => {
      server.reset((_req, res, _seen, index) => {
        sseHead(res);
        if (index === 0) res.end('retry: 5\nid: 41\ndata: x\n\n');
      });
      const source = make();
      const requests = [await server.arrivals.next(), await server.arrivals.next()];
      source.close();
      return requests.map(({ headers }) => [
        headers.accept,
        headers['last-event-id'],
        headers.authorization,
      ]);
    };
    const ours = await headersOf(() => new EventSource(server.url('/'), { fetch: withToken }));
    const theirs = await headersOf(() => new Reference(server.url('/'), { fetch: withToken }));
    assert.deepEqual(ours, [
      ['text/event-stream', undefined, 'Bearer t'],
      ['text/event-stream', '41', 'Bearer t'],
    ]);
    assert.deepEqual(theirs, ours);
  });

  void it('declare the eventsource.supports-fetch-override marker alike', () => {
    const marker = Symbol.for('eventsource.supports-fetch-override');
    for (const Class of [EventSource, Reference]) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(Class, marker), {
        value: true,
        writable: false,
        enumerable: false,
        configurable: false,
      });
    }
  });

  for (const [name, handler, status] of [
    [
      '204',
      (_req, res) => {
        res.writeHead(204).end();
      },
      204,
    ],
    [
      '500',
      (_req, res) => {
        res.writeHead(500).end('oops');
      },
      500,
    ],
    [
      '404',
      (_req, res) => {
        res.writeHead(404).end();
      },
      404,
    ],
    [
      'a wrong content type',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      200,
    ],
  ] as [string, Handler, number][]) {
    void it(`both fail the connection on ${name}: CLOSED, the status on the error event`, async () => {
      const [ours, theirs] = await both(handler);
      assert.equal(ours.readyState, 2);
      assert.equal(theirs.readyState, 2);
      assert.equal(ours.error.status, status);
      assert.equal(theirs.error.code, status);
      assert.equal(ours.events.length + theirs.events.length, 0);
    });
  }

  void it('both follow a redirect and give the final origin', async () => {
    const [ours, theirs] = await both((_req, res) => {
      res.writeHead(307, { location: other.url('/there', 'localhost') }).end();
    });
    assert.deepEqual(ours.events, theirs.events);
    assert.equal(ours.events[0]?.origin, `http://localhost:${other.port}`);
  });
});
