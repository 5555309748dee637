/**
 * The hub over real HTTP: `serveHub` (node:http), `serveHubFetch`,
 * `serveHubFastify`. Real servers on port 0, raw clients parsing with our
 * parser. Checks the Mercure subscribe surface: `topic` parameters,
 * `Last-Event-ID` header / `lastEventID` query, the `Last-Event-ID` response
 * header, authorization, and plain-text errors before the stream opens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { createHub, type Hub } from '../../src/hub/index.js';
import {
  serveHubFastify,
  serveHubFetch,
  type ServeHubOptions,
} from '../../src/mercure/serve-hub.js';
import { SseError } from '../../src/protocol/sse-error.js';
import { createParser, type ParsedEvent } from '../../src/protocol/parser.js';
import { readBody, SseClient, startHubServer, within } from '../hub/helpers.js';

const q = (topics: string[], extra = ''): string =>
  `/.well-known/mercure?${topics.map((t) => `topic=${encodeURIComponent(t)}`).join('&')}${extra}`;

void describe('serveHub (node:http)', () => {
  let hub: Hub;
  let server: Awaited<ReturnType<typeof startHubServer>>;
  const clients: SseClient[] = [];
  const open = async (path: string, headers?: Record<string, string>) => {
    const client = await SseClient.open(server.port, path, headers);
    clients.push(client);
    return client;
  };

  before(async () => {
    hub = createHub({ heartbeatInterval: false, maxTopicsPerSubscription: 3 });
    const options: ServeHubOptions = {
      authorize: (request) => {
        const auth = request.header('authorization');
        if (auth === undefined) return undefined; // anonymous
        if (auth === 'Bearer bad') return null; // 401
        if (auth === 'Bearer banned') throw new SseError('SSE_ERR_FORBIDDEN', 'Forbidden: banned.');
        return { subscribe: [auth.slice('Bearer '.length)] };
      },
    };
    server = await startHubServer(hub, options);
  });
  after(async () => {
    for (const c of clients) c.close();
    await hub.close();
    await server.close();
  });

  void it('streams updates as Mercure encodes them: id, event, retry, data lines', async () => {
    const client = await open(q(['https://e.com/books/{id}']));
    assert.equal(client.status, 200);
    assert.match(client.header('content-type') ?? '', /^text\/event-stream/);
    assert.equal(client.header('last-event-id'), undefined, 'no header when none was asked');
    await hub.publish({ topics: 'https://e.com/books/1/reviews', data: 'not matched' });
    const id = await hub.publish({
      topics: 'https://e.com/books/1',
      data: 'line 1\nline 2',
      type: 'book',
      retry: 1234,
    });
    await client.waitForEvents(1);
    assert.deepEqual(client.events, [{ type: 'book', data: 'line 1\nline 2', lastEventId: id }]);
  });

  void it('sets Last-Event-ID on the response: the id when found, else earliest', async () => {
    await hub.publish({ topics: 'r', id: 'r1', data: '1' });
    await hub.publish({ topics: 'r', id: 'r2', data: '2' });
    const found = await open(q(['r'], '&lastEventID=r1'));
    assert.equal(found.header('last-event-id'), 'r1');
    await found.waitForEvents(1);
    assert.deepEqual(found.data, ['2']);
    // The header wins over the query parameter.
    const header = await open(q(['r'], '&lastEventID=r2'), { 'last-event-id': 'r1' });
    assert.equal(header.header('last-event-id'), 'r1');
    await header.waitForEvents(1);
    assert.deepEqual(header.data, ['2']);
    const unknown = await open(q(['r'], '&lastEventID=gone'));
    assert.equal(unknown.header('last-event-id'), 'earliest');
    const earliest = await open(q(['r'], '&lastEventID=earliest'));
    assert.equal(earliest.header('last-event-id'), 'earliest');
    await earliest.waitForEvents(2);
    assert.deepEqual(earliest.data, ['1', '2']);
    await hub.publish({ topics: 'r', id: 'r3', data: '3' });
    await unknown.waitForEvents(1);
    assert.deepEqual(unknown.data, ['3'], 'an unknown id replays nothing');
  });

  void it('answers 400 naming the problem before the stream opens', async () => {
    for (const [path, pattern] of [
      ['/.well-known/mercure', /^missing "topic"\n$/],
      [q(['a', 'b', 'c', 'd']), /^too many topics \(max 3\)\n$/],
      [q(['']), /^"topic" must not be empty\n$/],
    ] as const) {
      const client = await open(path);
      assert.equal(client.status, 400, path);
      assert.match(client.header('content-type') ?? '', /^text\/plain/);
      assert.match(await readBody(client.response), pattern);
    }
  });

  void it('authorizes through the hook: 401, 403, private updates with claims', async () => {
    const unauthorized = await open(q(['p']), { authorization: 'Bearer bad' });
    assert.equal(unauthorized.status, 401);
    assert.match(await readBody(unauthorized.response), /^unauthorized/);
    assert.equal(unauthorized.header('www-authenticate'), 'Bearer realm="mercure"');
    const forbidden = await open(q(['p']), { authorization: 'Bearer banned' });
    assert.equal(forbidden.status, 403);
    assert.match(await readBody(forbidden.response), /banned/);

    const anonymous = await open(q(['p']));
    const allowed = await open(q(['p']), { authorization: 'Bearer p' });
    await hub.publish({ topics: 'p', data: 'secret', private: true });
    await hub.publish({ topics: 'p', data: 'public' });
    await allowed.waitForEvents(2);
    await anonymous.waitForEvents(1);
    assert.deepEqual(allowed.data, ['secret', 'public']);
    assert.deepEqual(anonymous.data, ['public']);
  });

  void it('counts a client leaving', async () => {
    const before = hub.stats.disconnects.client;
    const client = await open(q(['bye']));
    await hub.publish({ topics: 'bye', data: 'x' });
    await client.waitForEvents(1);
    const count = hub.subscriberCount;
    client.close();
    await within(
      (async () => {
        while (hub.subscriberCount !== count - 1) await new Promise((r) => setImmediate(r));
      })(),
      'the subscriber to leave',
    );
    assert.equal(hub.stats.disconnects.client, before + 1);
  });
});

void describe('serveHub limits and closing', () => {
  void it('answers 503 past maxSubscribers, drops the connection when closed (EventSource retries); close() ends streams', async () => {
    const hub = createHub({ heartbeatInterval: false, maxSubscribers: 1 });
    const server = await startHubServer(hub);
    const first = await SseClient.open(server.port, q(['a']));
    assert.equal(first.status, 200);
    const second = await SseClient.open(server.port, q(['a']));
    assert.equal(second.status, 503);
    assert.match(await readBody(second.response), /maximum of 1 subscribers/);
    await hub.publish({ topics: 'a', data: 'last' });
    await hub.close();
    await first.until(() => first.ended, 'the stream to end');
    assert.deepEqual(first.data, ['last'], 'pending frames are flushed before the end');
    // A transient refusal: no status at all (a 503 would make EventSource give up).
    await assert.rejects(SseClient.open(server.port, q(['a'])), /socket hang up|ECONNRESET/);
    await server.close();
  });
});

async function readEvents(body: ReadableStream<Uint8Array>, n: number): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = body.getReader();
  await within(
    (async () => {
      while (events.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    })(),
    `${n} events`,
  );
  await reader.cancel();
  return events;
}

void describe('serveHubFetch', () => {
  void it('returns an SSE Response with Last-Event-ID, or a plain-text error Response', async () => {
    const hub = createHub({ heartbeatInterval: false });
    await hub.publish({ topics: 'f', id: 'f1', data: '1' });
    const response = await serveHubFetch(
      hub,
      new Request('http://hub.test/.well-known/mercure?topic=f&lastEventID=f1', {
        headers: { 'last-event-id': 'earliest' },
      }),
      { headers: { 'access-control-allow-origin': '*' } },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('last-event-id'), 'earliest');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    await hub.publish({ topics: 'f', id: 'f2', data: '2' });
    assert.ok(response.body);
    const events = await readEvents(response.body, 2);
    assert.deepEqual(
      events.map((e) => e.data),
      ['1', '2'],
    );

    const bad = await serveHubFetch(hub, new Request('http://hub.test/.well-known/mercure'), {
      headers: { 'access-control-allow-origin': '*' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), '*');
    assert.match(await bad.text(), /topic/);
    const denied = await serveHubFetch(hub, new Request('http://hub.test/?topic=x'), {
      claims: null,
    });
    assert.equal(denied.status, 401);
    // A transient refusal: a 200 stream that breaks at once (EventSource retries).
    await hub.close();
    const closed = await serveHubFetch(hub, new Request('http://hub.test/?topic=x'));
    assert.equal(closed.status, 200);
    assert.ok(closed.body);
    await assert.rejects(closed.body.getReader().read());
    await hub.close();
  });
});

void describe('serveHubFetch with QUERY (1.0: parameters in a form body)', () => {
  void it('subscribes to the body matchers; 415 for another body type; 405 in 0.x mode', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const request = (body: string, type = 'application/x-www-form-urlencoded') =>
      new Request('http://hub.test/.well-known/mercure?match=q1', {
        method: 'QUERY',
        headers: { 'content-type': type },
        body,
      });
    const response = await serveHubFetch(hub, request('match=q2'));
    assert.equal(response.status, 200);
    await hub.publish({ topics: 'q0', data: '0' });
    await hub.publish({ topics: 'q1', data: '1' });
    await hub.publish({ topics: 'q2', data: '2' });
    assert.ok(response.body);
    const events = await readEvents(response.body, 2);
    assert.deepEqual(
      events.map((e) => e.data),
      ['1', '2'],
    );
    const json = await serveHubFetch(hub, request('{}', 'application/json'));
    assert.equal(json.status, 415);
    const legacy = await serveHubFetch(hub, request('match=q2'), { protocol: '0.x' });
    assert.equal(legacy.status, 405);
    await hub.close();
  });
});

void describe('serveHubFastify', () => {
  void it('streams through a hijacked reply; errors go through the reply', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const app = Fastify();
    app.get('/.well-known/mercure', async (request, reply) => {
      reply.header('x-from-fastify', 'yes');
      await serveHubFastify(hub, request, reply);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    const client = await SseClient.open(address.port, q(['fz'], '&lastEventID=earliest'));
    assert.equal(client.status, 200);
    assert.equal(client.header('x-from-fastify'), 'yes');
    assert.equal(client.header('last-event-id'), 'earliest');
    await hub.publish({ topics: 'fz', data: 'hello' });
    await client.waitForEvents(1);
    assert.deepEqual(client.data, ['hello']);
    const bad = await SseClient.open(address.port, '/.well-known/mercure');
    assert.equal(bad.status, 400);
    assert.equal(bad.header('x-from-fastify'), 'yes');
    assert.match(await readBody(bad.response), /topic/);
    client.close();
    await hub.close();
    await app.close();
  });
});
