/**
 * EventSource against real HTTP servers: the WHATWG interface, the request it
 * sends, and the processing model (open, dispatch, fail, reestablish,
 * redirects, Last-Event-ID, retry). Reconnection waits go through fake
 * timers: a test fires the timer instead of sleeping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EventSource,
  SseErrorEvent,
  SseOpenEvent,
  type EventSourceOptions,
} from '../../src/client/index.js';
import {
  FakeTimers,
  Recorder,
  sseHead,
  streamOnce,
  streams,
  TestServer,
  within,
  type Handler,
} from './helpers.js';

let server: TestServer;
const sources: EventSource[] = [];

before(async () => {
  server = await TestServer.start(streamOnce('data: hi\n\n'));
});
after(async () => {
  for (const source of sources) source.close();
  await server.close();
});

/** Serves `handler` and opens an EventSource on fake timers (unless given timers). */
function open(
  handler: Handler,
  options: EventSourceOptions = {},
  path = '/stream',
): { source: EventSource; rec: Recorder; timers: FakeTimers } {
  server.handler = handler;
  server.requests.length = 0;
  const timers = new FakeTimers();
  const source = new EventSource(server.url(path), { timers, ...options });
  sources.push(source);
  return { source, rec: new Recorder(source, ['named', 'x']), timers };
}

void describe('EventSource: the interface', () => {
  void it('has the readyState constants on the class and on instances', () => {
    assert.equal(EventSource.CONNECTING, 0);
    assert.equal(EventSource.OPEN, 1);
    assert.equal(EventSource.CLOSED, 2);
    const { source } = open(streamOnce(''));
    assert.equal(source.CONNECTING, 0);
    assert.equal(source.OPEN, 1);
    assert.equal(source.CLOSED, 2);
    assert.equal(Object.hasOwn(source, 'OPEN'), false, 'on the prototype, as WebIDL constants');
    assert.throws(() => {
      (EventSource as unknown as { OPEN: number }).OPEN = 5;
    }, TypeError);
    source.close();
  });

  void it('starts CONNECTING with url and withCredentials, and is an EventTarget', () => {
    const { source } = open(streamOnce(''));
    assert.equal(source.readyState, EventSource.CONNECTING);
    assert.equal(source.url, server.url('/stream'));
    assert.equal(source.withCredentials, false);
    assert.ok(source instanceof EventTarget);
    assert.equal(source.onopen, null);
    assert.equal(source.onmessage, null);
    assert.equal(source.onerror, null);
    source.close();
    assert.equal(source.readyState, EventSource.CLOSED);
    const withCredentials = new EventSource(server.url('/'), { withCredentials: true });
    assert.equal(withCredentials.withCredentials, true);
    withCredentials.close();
  });

  void it('throws a SyntaxError DOMException on an invalid URL (relative without a base)', () => {
    for (const url of ['http://exa mple.com', '/relative', 'not a url']) {
      assert.throws(
        () => new EventSource(url),
        (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError',
        url,
      );
    }
  });

  void it('resolves relative URLs against globalThis.location when present', () => {
    const scope = globalThis as { location?: unknown };
    scope.location = { href: server.url('/app/page.html') };
    try {
      const source = new EventSource('../events?x=1', { timers: new FakeTimers() });
      assert.equal(source.url, server.url('/events?x=1'));
      source.close();
    } finally {
      delete scope.location;
    }
  });

  void it('is typed as a drop-in: assignable to the DOM EventSource type; typed handlers', () => {
    const source = new EventSource(server.url('/'), { timers: new FakeTimers() });
    // Checked by tsc: code written for the DOM type accepts this class.
    const asDom: globalThis.EventSource = source;
    source.onerror = (event) => {
      assert.equal(typeof event.code, 'string'); // typed SseErrorEvent
    };
    assert.equal(typeof asDom.onerror, 'function');
    asDom.close();
  });

  void it('is exported from the main entry too', async () => {
    const root = await import('../../src/index.js');
    assert.equal(root.EventSource, EventSource);
    assert.equal(typeof root.connect, 'function');
    assert.equal(root.SseErrorEvent, SseErrorEvent);
  });

  void it('serialises the url (the URL object or string it was given, normalised)', () => {
    const source = new EventSource(new URL(server.url('/a/../b')), { timers: new FakeTimers() });
    assert.equal(source.url, server.url('/b'));
    source.close();
  });
});

void describe('EventSource: the request', () => {
  void it('GETs with Accept: text/event-stream, Cache-Control: no-cache, no Last-Event-ID', async () => {
    const { source, rec } = open(streamOnce('data: x\n\n'));
    await rec.opens.next();
    const [request] = server.requests;
    assert.equal(request?.method, 'GET');
    assert.equal(request.headers.accept, 'text/event-stream');
    assert.equal(request.headers['cache-control'], 'no-cache');
    assert.equal(request.headers['last-event-id'], undefined);
    source.close();
  });

  void it('sets credentials from withCredentials, mode cors, cache no-store, redirect follow', async () => {
    const inits: RequestInit[] = [];
    const spy = (url: string, init: RequestInit): Promise<Response> => {
      inits.push(init);
      return fetch(url, init);
    };
    for (const withCredentials of [false, true]) {
      const { source, rec } = open(streamOnce('data: x\n\n'), { fetch: spy, withCredentials });
      await rec.opens.next();
      source.close();
    }
    assert.deepEqual(
      inits.map((i) => [i.credentials, i.mode, i.cache, i.redirect]),
      [
        ['same-origin', 'cors', 'no-store', 'follow'],
        ['include', 'cors', 'no-store', 'follow'],
      ],
    );
  });

  void it('sends custom headers, calling a headers function before every connection', async () => {
    let calls = 0;
    const { source, rec, timers } = open(streams('data: 1\n\n', 'data: 2\n\n'), {
      headers: async () => {
        calls += 1;
        await Promise.resolve();
        return { authorization: `Bearer token-${calls}`, 'x-extra': 'yes' };
      },
    });
    await rec.messages.next();
    await rec.errors.next();
    timers.fireNext();
    await rec.messages.next();
    assert.equal(calls, 2);
    assert.deepEqual(
      server.requests.map((r) => [r.headers.authorization, r.headers['x-extra']]),
      [
        ['Bearer token-1', 'yes'],
        ['Bearer token-2', 'yes'],
      ],
    );
    source.close();
  });

  void it('streams a POST with its body again on every connection', async () => {
    const { source, rec, timers } = open(streams('data: 1\n\n'), {
      method: 'POST',
      body: JSON.stringify({ q: 'prices' }),
      headers: { 'content-type': 'application/json' },
    });
    await rec.messages.next();
    await rec.errors.next();
    timers.fireNext();
    await rec.messages.next();
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.headers['content-type'], r.body]),
      [
        ['POST', 'application/json', '{"q":"prices"}'],
        ['POST', 'application/json', '{"q":"prices"}'],
      ],
    );
    source.close();
  });

  void it('sends the lastEventId option as Last-Event-ID on the first request', async () => {
    const { source, rec } = open(streamOnce('data: x\n\n'), { lastEventId: 'resume-7' });
    const message = await rec.messages.next();
    assert.equal(server.requests[0]?.headers['last-event-id'], 'resume-7');
    assert.equal(message.lastEventId, 'resume-7');
    source.close();
  });

  void it('refuses a body with GET, and other bad options, with SSE_ERR_INVALID_OPTION', () => {
    for (const options of [
      { body: 'x' },
      { maxRetries: -1 },
      { stallTimeout: 0 },
      { reconnect: { jitter: 2 } },
      { reconnect: { factor: 0.5 } },
      { lastEventId: 'a\nb' },
      { method: 'GET POST' },
      { headers: { authorization: 'Bearer a\nb' } },
      { headers: 42 },
    ] as unknown as EventSourceOptions[]) {
      assert.throws(
        () => new EventSource(server.url('/'), options),
        { name: 'SseError', code: 'SSE_ERR_INVALID_OPTION' },
        JSON.stringify(options),
      );
    }
  });
});

void describe('EventSource: open and dispatch', () => {
  void it('announces the connection: readyState OPEN, onopen, an open event with the response', async () => {
    const { source, rec } = open((_req, res) => {
      sseHead(res, { 'x-hub': 'test' });
    });
    let viaHandler: Event | undefined;
    source.onopen = (event) => {
      viaHandler = event;
    };
    const event = await rec.opens.next();
    assert.equal(source.readyState, EventSource.OPEN);
    assert.equal(viaHandler, event);
    assert.ok(event instanceof SseOpenEvent);
    assert.equal(event.status, 200);
    assert.equal(event.headers.get('x-hub'), 'test');
    assert.equal(event.url, server.url('/stream'));
    assert.equal(source.response?.headers.get('x-hub'), 'test');
    source.close();
  });

  void it('dispatches MessageEvents: onmessage for "message", named events to their listeners', async () => {
    const { source, rec } = open(
      streamOnce('data: a\n\nevent: named\ndata: b\nid: 3\n\nevent: message\ndata: c\n\n'),
    );
    const viaHandler: string[] = [];
    source.onmessage = (event) => {
      assert.ok(event instanceof MessageEvent);
      viaHandler.push(event.data);
    };
    const got = [await rec.messages.next(), await rec.messages.next(), await rec.messages.next()];
    const origin = `http://127.0.0.1:${server.port}`;
    assert.deepEqual(got, [
      { type: 'message', data: 'a', lastEventId: '', origin },
      { type: 'named', data: 'b', lastEventId: '3', origin },
      { type: 'message', data: 'c', lastEventId: '3', origin },
    ]);
    assert.deepEqual(viaHandler, ['a', 'c']);
    source.close();
  });

  void it('dispatches nothing for a block without data; an empty data field is an event', async () => {
    const { source, rec } = open(
      streamOnce('event: named\n\nid: 5\n\ndata\n\nevent: x\ndata:\n\n'),
    );
    assert.deepEqual(await rec.messages.next(), {
      type: 'message',
      data: '',
      lastEventId: '5',
      origin: `http://127.0.0.1:${server.port}`,
    });
    assert.equal((await rec.messages.next()).type, 'x');
    await rec.errors.next();
    assert.deepEqual(
      rec.all.map((m) => m.type),
      ['message', 'x'],
    );
    source.close();
  });

  void it('event handler attributes keep their place among listeners; null removes them', async () => {
    const { source, rec } = open(streamOnce('data: 1\n\ndata: 2\n\n'));
    const order: string[] = [];
    source.addEventListener('message', () => order.push('first listener'));
    source.onmessage = () => order.push('handler A');
    source.addEventListener('message', () => {
      order.push('last listener');
      source.onmessage = null; // from the second event on, no handler
    });
    source.onmessage = () => order.push('handler B'); // same place as A
    await rec.messages.next();
    await rec.messages.next();
    assert.deepEqual(order, [
      'first listener',
      'handler B',
      'last listener',
      'first listener',
      'last listener',
    ]);
    assert.equal(source.onmessage, null);
    source.close();
  });

  void it('close() in a listener stops the rest of the chunk', async () => {
    const { source, rec } = open(streamOnce('data: 1\n\ndata: 2\n\ndata: 3\n\n'));
    source.onmessage = () => {
      source.close();
    };
    await rec.messages.next();
    await within(server.requests[0]?.closed ?? Promise.resolve(), 'the request to close');
    assert.deepEqual(
      rec.all.map((m) => m.data),
      ['1'],
    );
    assert.equal(source.readyState, EventSource.CLOSED);
  });
});

void describe('EventSource: failing the connection (no reconnection)', () => {
  const cases: [string, Handler, string, number][] = [
    [
      '204 No Content',
      (_req, res) => {
        res.writeHead(204).end();
      },
      'SSE_ERR_HTTP_STATUS',
      204,
    ],
    [
      '500 with a text body',
      (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('database down\n');
      },
      'SSE_ERR_HTTP_STATUS',
      500,
    ],
    [
      '201 Created (any status but 200)',
      (_req, res) => {
        res.writeHead(201, { 'content-type': 'text/event-stream' }).end('data: x\n\n');
      },
      'SSE_ERR_HTTP_STATUS',
      201,
    ],
    [
      'a 404 HTML page',
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>');
      },
      'SSE_ERR_HTTP_STATUS',
      404,
    ],
    [
      'text/plain',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('data: x\n\n');
      },
      'SSE_ERR_CONTENT_TYPE',
      200,
    ],
    [
      'no Content-Type',
      (_req, res) => {
        res.writeHead(200).end('data: x\n\n');
      },
      'SSE_ERR_CONTENT_TYPE',
      200,
    ],
    [
      'text/event-streams (not the same essence)',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-streams' }).end('data: x\n\n');
      },
      'SSE_ERR_CONTENT_TYPE',
      200,
    ],
  ];
  for (const [name, handler, code, status] of cases) {
    void it(`${name}: error event with ${code} and status ${status}, readyState CLOSED, no timer`, async () => {
      const { source, rec, timers } = open(handler);
      const errors: SseErrorEvent[] = [];
      source.onerror = (event) => {
        errors.push(event);
      };
      const event = await rec.errors.next();
      assert.ok(event instanceof SseErrorEvent);
      assert.equal(event.code, code);
      assert.equal(event.status, status);
      assert.equal(event.error.status, status);
      assert.equal(event.reconnectDelay, undefined);
      assert.equal(source.readyState, EventSource.CLOSED);
      assert.deepEqual(timers.pending, []);
      assert.deepEqual(errors, [event]);
      assert.equal(rec.all.length, 0);
      assert.equal(server.requests.length, 1);
      if (name.startsWith('500'))
        assert.match(event.message, /^HTTP 500 Internal Server Error: database down$/);
      if (name.startsWith('204')) assert.match(event.message, /HTTP 204 No Content/);
    });
  }

  void it('accepts text/event-stream with parameters and in any case', async () => {
    for (const type of [
      'text/event-stream; charset=utf-8',
      'Text/Event-Stream',
      ' text/event-stream ;x=y',
    ]) {
      const { source, rec } = open(streamOnce('data: ok\n\n', { 'content-type': type }));
      assert.equal((await rec.messages.next()).data, 'ok', type);
      source.close();
    }
  });
});

void describe('EventSource: redirects', () => {
  let other: TestServer;
  before(async () => {
    other = await TestServer.start(streamOnce('data: moved\n\n'), 'localhost');
  });
  after(() => other.close());

  for (const status of [301, 302, 307, 308]) {
    void it(`follows a ${status}; url stays the original, origin is the final URL's`, async () => {
      const target = other.url('/final', 'localhost');
      const { source, rec } = open((_req, res) => {
        res.writeHead(status, { location: target }).end();
      });
      const message = await rec.messages.next();
      assert.equal(message.data, 'moved');
      assert.equal(message.origin, `http://localhost:${other.port}`);
      assert.equal(source.url, server.url('/stream'));
      const openEvent = await rec.opens.next();
      assert.equal(openEvent.url, target);
      source.close();
    });
  }
});

void describe('EventSource: reestablishing the connection', () => {
  void it('end of body: error event, CONNECTING, waits the reconnection time (3000 ms), reconnects', async () => {
    const { source, rec, timers } = open(streams('data: 1\n\n', 'data: 2\n\n'));
    assert.equal((await rec.messages.next()).data, '1');
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_DISCONNECTED');
    assert.equal(error.reconnectDelay, 3000);
    assert.equal(source.readyState, EventSource.CONNECTING);
    assert.deepEqual(timers.pending, [3000]);
    assert.equal(server.requests.length, 1);
    timers.fire(3000);
    assert.equal((await rec.messages.next()).data, '2');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(rec.log.slice(0, 5), ['open', 'message', 'error', 'open', 'message']);
    source.close();
    assert.deepEqual(timers.pending, []);
  });

  void it('an unterminated event at the end of the body is discarded', async () => {
    const { source, rec } = open(streams('data: whole\n\ndata: partial'));
    assert.equal((await rec.messages.next()).data, 'whole');
    await rec.errors.next();
    assert.equal(rec.all.length, 1);
    source.close();
  });

  void it('honours retry: as the new reconnection time', async () => {
    const { source, rec, timers } = open(streams('retry: 1234\ndata: 1\n\n', 'retry: x\n\n'));
    const error = await rec.errors.next();
    assert.equal(error.reconnectDelay, 1234);
    assert.deepEqual(timers.pending, [1234]);
    timers.fire(1234);
    // An invalid retry value changes nothing.
    assert.equal((await rec.errors.next()).reconnectDelay, 1234);
    source.close();
  });

  void it('sends Last-Event-ID on reconnection; keeps the id across events; id: empty resets it', async () => {
    const { source, rec, timers } = open(
      streams('id: 41\ndata: a\n\ndata: b\n\n', 'id\ndata: c\n\n', 'data: d\n\n'),
    );
    const got = [await rec.messages.next(), await rec.messages.next()];
    assert.deepEqual(
      got.map((m) => m.lastEventId),
      ['41', '41'],
    );
    await rec.errors.next();
    assert.equal(source.lastEventId, '41');
    timers.fireNext();
    assert.equal((await rec.messages.next()).lastEventId, '');
    await rec.errors.next();
    timers.fireNext();
    assert.equal((await rec.messages.next()).data, 'd');
    assert.deepEqual(
      server.requests.map((r) => r.headers['last-event-id']),
      [undefined, '41', undefined],
    );
    source.close();
  });

  void it('a network error (connection reset) reconnects with SSE_ERR_NETWORK', async () => {
    const { source, rec, timers } = open((_req, res, _seen, index) => {
      if (index === 0) res.socket?.destroy();
      else {
        sseHead(res);
        res.end('data: after reset\n\n');
      }
    });
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.equal(source.readyState, EventSource.CONNECTING);
    timers.fireNext();
    assert.equal((await rec.messages.next()).data, 'after reset');
    source.close();
  });

  void it('a body that breaks off mid-stream reconnects with SSE_ERR_NETWORK', async () => {
    const { source, rec, timers } = open((_req, res, _seen, index) => {
      sseHead(res);
      res.write(`data: ${index}\n\n`);
      if (index === 0) setImmediate(() => res.socket?.destroy());
    });
    assert.equal((await rec.messages.next()).data, '0');
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    timers.fireNext();
    assert.equal((await rec.messages.next()).data, '1');
    source.close();
  });

  void it('a refused connection reconnects (SSE_ERR_NETWORK), close() stops it', async () => {
    const closed = await TestServer.start(streamOnce(''));
    const url = closed.url('/');
    await closed.close(); // nothing listens on that port any more
    const timers = new FakeTimers();
    const source = new EventSource(url, { timers });
    const rec = new Recorder(source);
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.match(error.message, /ECONNREFUSED/);
    assert.deepEqual(timers.pending, [3000]);
    source.close();
    assert.deepEqual(timers.pending, []);
  });

  void it('close() while connecting aborts the request: no event follows', async () => {
    const { source, rec } = open(() => {
      // never answers
    });
    const request = await server.arrivals.next();
    source.close();
    await within(request.closed, 'the request to be aborted');
    assert.deepEqual(rec.log, []);
  });
});
