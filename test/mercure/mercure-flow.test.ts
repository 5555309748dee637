/**
 * The Mercure publish → subscribe flow exactly as Mercure clients do it: a
 * form POST with a Bearer publisher JWT, an EventSource with `topic`
 * selectors (exact, `*`, URI template), private updates, reconnection with
 * `Last-Event-ID`.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  publish,
  publisherToken,
  startHub,
  subscribeUrl,
  Subscriber,
  token,
  type TestHub,
} from '../hub-server/helpers.js';

void describe('Mercure flow', () => {
  let hub: TestHub;
  let pub: string;
  const subscribers: Subscriber[] = [];
  const subscribe = (...args: ConstructorParameters<typeof Subscriber>): Subscriber => {
    const s = new Subscriber(...args);
    subscribers.push(s);
    return s;
  };

  before(async () => {
    hub = await startHub({ anonymous: true });
    pub = await publisherToken();
  });
  after(async () => {
    for (const s of subscribers) s.close();
    await hub.close();
  });

  void test('POST publishes; the answer is 200 text/plain with the id; EventSource receives it', async () => {
    const sub = subscribe(subscribeUrl(hub.hubUrl, ['https://example.com/books/1']));
    await sub.opened;
    const res = await publish(
      hub.hubUrl,
      { topic: 'https://example.com/books/1', data: '{"title":"Dune"}' },
      pub,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(res.text, /^urn:uuid:[0-9a-f-]{36}$/);
    const event = await sub.events.next('the update');
    assert.deepEqual(event, { type: 'message', data: '{"title":"Dune"}', lastEventId: res.text });
  });

  void test('id, type and multi-line data go through; the publisher id is the answer', async () => {
    const sub = subscribe(subscribeUrl(hub.hubUrl, ['https://example.com/chat']), {
      types: ['chat'],
    });
    await sub.opened;
    const res = await publish(
      hub.hubUrl,
      {
        topic: 'https://example.com/chat',
        data: 'line one\nline two',
        id: 'msg-1',
        type: 'chat',
        retry: '2500',
      },
      pub,
    );
    assert.equal(res.status, 200);
    assert.equal(res.text, 'msg-1');
    assert.deepEqual(await sub.events.next('the chat event'), {
      type: 'chat',
      data: 'line one\nline two',
      lastEventId: 'msg-1',
    });
  });

  void test('selectors: * and URI templates match; other topics are not delivered', async () => {
    const all = subscribe(subscribeUrl(hub.hubUrl, ['*']));
    const template = subscribe(subscribeUrl(hub.hubUrl, ['https://example.com/users/{id}']));
    const other = subscribe(subscribeUrl(hub.hubUrl, ['https://example.com/other']));
    await Promise.all([all.opened, template.opened, other.opened]);
    await publish(hub.hubUrl, { topic: 'https://example.com/users/42', data: 'u42' }, pub);
    await publish(hub.hubUrl, { topic: 'https://example.com/users/42/posts', data: 'deep' }, pub);
    await publish(hub.hubUrl, { topic: 'https://example.com/other', data: 'other' }, pub);
    assert.equal((await all.events.next()).data, 'u42');
    assert.equal((await all.events.next()).data, 'deep');
    assert.equal((await all.events.next()).data, 'other');
    assert.equal((await template.events.next()).data, 'u42');
    assert.equal((await other.events.next()).data, 'other');
    // The template did not match the deeper topic: only "u42" arrived there.
    assert.deepEqual(
      template.all.map((e) => e.data),
      ['u42'],
    );
  });

  void test('alternate topics: an update reaches subscribers of any of its topics', async () => {
    const alt = subscribe(subscribeUrl(hub.hubUrl, ['urn:alt']));
    await alt.opened;
    await publish(
      hub.hubUrl,
      { topic: ['https://example.com/canonical', 'urn:alt'], data: 'x' },
      pub,
    );
    assert.equal((await alt.events.next()).data, 'x');
  });

  void test('private updates reach only subscribers whose mercure.subscribe matches a topic', async () => {
    const topic = 'https://example.com/private/7';
    const allowed = subscribe(subscribeUrl(hub.hubUrl, [topic]), {
      bearer: await token({ subscribe: ['https://example.com/private/{id}'] }),
    });
    const denied = subscribe(subscribeUrl(hub.hubUrl, [topic]), {
      bearer: await token({ subscribe: ['https://example.com/elsewhere'] }),
    });
    const anonymous = subscribe(subscribeUrl(hub.hubUrl, [topic]));
    await Promise.all([allowed.opened, denied.opened, anonymous.opened]);
    await publish(hub.hubUrl, { topic, data: 'secret', private: 'on' }, pub);
    await publish(hub.hubUrl, { topic, data: 'public' }, pub);
    assert.equal((await allowed.events.next()).data, 'secret');
    assert.equal((await allowed.events.next()).data, 'public');
    // The public update arrives after the private one would have: so the
    // private one was not delivered to them.
    assert.equal((await denied.events.next()).data, 'public');
    assert.equal((await anonymous.events.next()).data, 'public');
  });

  void test('"private" with an empty value is private too (any value counts)', async () => {
    const topic = 'https://example.com/private-empty';
    const anonymous = subscribe(subscribeUrl(hub.hubUrl, [topic]));
    await anonymous.opened;
    await publish(hub.hubUrl, { topic, data: 'hidden', private: '' }, pub);
    await publish(hub.hubUrl, { topic, data: 'shown' }, pub);
    assert.equal((await anonymous.events.next()).data, 'shown');
  });

  void test('Last-Event-ID (query parameter) replays what was missed, and the response names it', async () => {
    const topic = 'https://example.com/replay';
    const first = await publish(hub.hubUrl, { topic, data: 'one' }, pub);
    await publish(hub.hubUrl, { topic, data: 'two' }, pub);
    await publish(hub.hubUrl, { topic, data: 'three' }, pub);
    const url = subscribeUrl(hub.hubUrl, [topic], { lastEventID: first.text });
    const head = await fetch(url, { signal: AbortSignal.timeout(5000) });
    assert.equal(head.headers.get('last-event-id'), first.text);
    await head.body?.cancel();
    const sub = subscribe(url);
    assert.equal((await sub.events.next()).data, 'two');
    assert.equal((await sub.events.next()).data, 'three');
  });

  void test('Last-Event-ID header and "earliest" replay the history', async () => {
    const topic = 'https://example.com/earliest';
    await publish(hub.hubUrl, { topic, data: 'a' }, pub);
    const sub = subscribe(subscribeUrl(hub.hubUrl, [topic]), {
      headers: { 'last-event-id': 'earliest' },
    });
    assert.equal((await sub.events.next()).data, 'a');
  });

  void test('the stream has SSE headers and no-store caching', async () => {
    const res = await fetch(subscribeUrl(hub.hubUrl, ['x']), { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    assert.match(res.headers.get('cache-control') ?? '', /private/);
    await res.body?.cancel();
  });
});

void describe('anonymous subscribers', () => {
  void test('refused with 401 when anonymous is off; a token is then needed', async () => {
    const hub = await startHub();
    try {
      const res = await fetch(subscribeUrl(hub.hubUrl, ['*']));
      assert.equal(res.status, 401);
      // The default (both dialects): an RFC 6750 challenge without error code,
      // pointing at the protected resource metadata.
      assert.equal(await res.text(), 'an access token is required\n');
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/\.well-known\/mercure"$/,
      );
      const sub = new Subscriber(subscribeUrl(hub.hubUrl, ['*']), { bearer: await token() });
      await sub.opened;
      sub.close();
    } finally {
      await hub.close();
    }
  });

  void test('an EventSource refused with 401 is told so and does not reconnect', async () => {
    const hub = await startHub();
    try {
      const sub = new Subscriber(subscribeUrl(hub.hubUrl, ['*']));
      const error = await sub.errors.next('the error event');
      assert.equal(error.code, 401);
      assert.equal(sub.source.readyState, 2); // CLOSED
      sub.close();
    } finally {
      await hub.close();
    }
  });
});
