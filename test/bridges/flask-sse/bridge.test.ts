/**
 * The flask-sse bridge end to end: a Python process publishes in
 * flask-sse's wire format (`publish()` of test/fixtures/flask-sse/
 * flask_sse_wire.py, this project's re-expression of that format, on
 * Debian's python3-flask and python3-redis) on Redis pub/sub; the bridge
 * publishes on a hub server that serves `GET /stream?channel=`; an
 * `EventSource` (the `eventsource` package) receives what flask-sse's
 * blueprint would send, and what it cannot: replay after `Last-Event-ID`,
 * refusals like the hub endpoint's.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import {
  createFlaskSseBridge,
  registerFlaskSseMetrics,
  type FlaskSseBridge,
  type MalformedMessage,
} from '../../../src/bridges/flask-sse/index.js';
import {
  startHub,
  Subscriber,
  token,
  until,
  within,
  type Received,
  type TestHub,
} from '../../hub-server/helpers.js';
import {
  openStream,
  REDIS_URL,
  redisPythonSkip,
  startPublisher,
  uniqueChannel,
  type Publisher,
} from './helpers.js';

const skip = await redisPythonSkip();

function streamUrl(hub: TestHub, channel?: string, path = '/stream'): string {
  const url = new URL(path, hub.base);
  if (channel !== undefined) url.searchParams.set('channel', channel);
  return url.href;
}

const URN_UUID = /^urn:uuid:[0-9a-f-]{36}$/;

void describe('flask-sse bridge (Redis, Python)', { skip, timeout: 120_000 }, () => {
  const ch = uniqueChannel('main');
  const other = uniqueChannel('other');
  const odd = `${uniqueChannel('odd')}/é ?&%`;
  let hub: TestHub;
  let bridge: FlaskSseBridge;
  let publisher: Publisher;
  const malformed: MalformedMessage[] = [];

  before(async () => {
    hub = await startHub({
      anonymous: false,
      corsOrigins: ['https://app.example'],
      flaskSse: {},
    });
    bridge = await createFlaskSseBridge({
      hub: hub.hubServer.hub,
      url: REDIS_URL,
      channels: [ch, other, odd],
      onMalformed: (message) => malformed.push(message),
    });
    const registry = hub.hubServer.registry;
    assert.ok(registry !== undefined);
    registerFlaskSseMetrics(registry, () => bridge.stats());
    publisher = startPublisher();
  });

  after(async () => {
    await publisher.close();
    await bridge.close();
    await hub.close();
  });

  void it("streams the events flask-sse's blueprint sends: same type, data and ids, the hub's ids when none", async () => {
    const subscriber = new Subscriber(streamUrl(hub, ch), { types: ['dataUpdate', 'alert'] });
    const elsewhere = new Subscriber(streamUrl(hub, other), { types: ['dataUpdate'] });
    try {
      await Promise.all([subscriber.opened, elsewhere.opened]);
      // The shapes sse.publish() writes (data: str, dict, list, number; with
      // and without type, id, retry), and one on another channel.
      const sent = [
        { data: '"hello"' },
        { data: '{"b": 1, "a": [1.0, 2, "é"], "n": null}', type: '"dataUpdate"' },
        { data: '[1, 2.5, 1e16, 12345678901234567890]' },
        { data: '42', type: '"alert"', id: '"alert-42"', retry: '2500' },
        { data: '"line one\\nline two\\r\\nline three"', id: '7' },
        { data: '""', type: '"dataUpdate"' }, // no data line: flask-sse dispatches nothing
        { data: '{"x": 0.1}', type: '"dataUpdate"', id: '""', retry: '0' },
      ];
      for (const fields of sent) {
        assert.equal(await publisher.publish({ op: 'publish', channel: ch, ...fields }), 1);
      }
      await publisher.publish({
        op: 'publish',
        channel: other,
        data: '"not for ch"',
        type: '"dataUpdate"',
      });
      const expected: Omit<Received, 'lastEventId'>[] = [
        { type: 'message', data: 'hello' },
        { type: 'dataUpdate', data: '{"a": [1.0, 2, "\\u00e9"], "b": 1, "n": null}' },
        { type: 'message', data: '[1, 2.5, 1e+16, 12345678901234567890]' },
        { type: 'alert', data: '42' },
        { type: 'message', data: 'line one\nline two\nline three' },
        { type: 'dataUpdate', data: '{"x": 0.1}' },
      ];
      const got: Received[] = [];
      for (let i = 0; i < expected.length; i++)
        got.push(await subscriber.events.next(`event ${i}`));
      assert.deepEqual(
        got.map(({ type, data }) => ({ type, data })),
        expected,
      );
      assert.equal(got[3]?.lastEventId, 'alert-42');
      assert.equal(got[4]?.lastEventId, '7');
      for (const i of [0, 1, 2, 5]) assert.match(got[i]?.lastEventId ?? '', URN_UUID);
      const elsewhereEvent = await elsewhere.events.next('the other channel');
      assert.equal(elsewhereEvent.data, 'not for ch');
      assert.equal(
        subscriber.all.find((e) => e.data === 'not for ch'),
        undefined,
      );
    } finally {
      subscriber.close();
      elsewhere.close();
    }
  });

  void it('serves the default channel "sse", odd channel names, and sends retry like flask-sse', async () => {
    const { response, reader } = await openStream(streamUrl(hub, odd));
    try {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      await publisher.publish({
        op: 'publish',
        channel: odd,
        data: '"odd"',
        retry: '1234',
        id: '"odd-1"',
      });
      const event = await reader.events.next('the odd channel');
      assert.deepEqual(
        { data: event.data, id: event.lastEventId, retry: event.retry },
        { data: 'odd', id: 'odd-1', retry: 1234 },
      );
    } finally {
      reader.close();
    }
    // Without ?channel= (or with an empty one) a stream is channel "sse", as flask-sse's.
    const prefix = `t${randomUUID()}:`;
    const local = await startHub({ anonymous: true, flaskSse: { topicPrefix: prefix } });
    const sseBridge = await createFlaskSseBridge({
      hub: local.hubServer.hub,
      url: REDIS_URL,
      channels: ['sse'],
      topicPrefix: prefix,
    });
    const plain = new Subscriber(streamUrl(local));
    const empty = new Subscriber(`${streamUrl(local)}?channel=`);
    try {
      await Promise.all([plain.opened, empty.opened]);
      const marker = randomUUID();
      await publisher.publish({ op: 'publish', channel: 'sse', data: JSON.stringify(marker) });
      for (const subscriber of [plain, empty]) {
        let event = await subscriber.events.next('the sse channel');
        // Someone else may publish on "sse": look for ours.
        while (event.data !== marker) event = await subscriber.events.next('the sse channel');
      }
    } finally {
      plain.close();
      empty.close();
      await sseBridge.close();
      await local.close();
    }
  });

  void it('replays what a client missed when it reconnects with Last-Event-ID', async () => {
    const first = new Subscriber(streamUrl(hub, ch), { types: ['dataUpdate'] });
    await first.opened;
    await publisher.publish({ op: 'publish', channel: ch, data: '{"n": 1}', type: '"dataUpdate"' });
    const seen = await first.events.next('n=1');
    assert.equal(seen.data, '{"n": 1}');
    first.close();
    for (const n of [2, 3, 4]) {
      await publisher.publish({
        op: 'publish',
        channel: ch,
        data: `{"n": ${n}}`,
        type: '"dataUpdate"',
      });
    }
    await until(() => bridge.stats().published >= 1 + 3, 'the bridge to publish');
    // flask-sse ignores Last-Event-ID; ssehub resumes after it.
    const { response, reader } = await openStream(streamUrl(hub, ch), {
      'last-event-id': seen.lastEventId,
    });
    try {
      assert.equal(response.headers.get('last-event-id'), seen.lastEventId);
      const replayed = [];
      for (let i = 0; i < 3; i++) replayed.push((await reader.events.next(`replay ${i}`)).data);
      assert.deepEqual(replayed, ['{"n": 2}', '{"n": 3}', '{"n": 4}']);
    } finally {
      reader.close();
    }
    // The query parameter works too (EventSource cannot set the header on the first connection).
    const viaQuery = new Subscriber(
      `${streamUrl(hub, ch)}&lastEventID=${encodeURIComponent(seen.lastEventId)}`,
      { types: ['dataUpdate'] },
    );
    try {
      assert.equal((await viaQuery.events.next('replay via query')).data, '{"n": 2}');
    } finally {
      viaQuery.close();
    }
  });

  void it('skips malformed messages, counts them by channel in /metrics, and keeps going', async () => {
    const before = bridge.stats();
    const subscriber = new Subscriber(streamUrl(hub, ch), { types: ['dataUpdate'] });
    try {
      await subscriber.opened;
      const bad: (string | Uint8Array)[] = [
        'not json',
        '{"data": "x", "id": "a\\nb"}',
        Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d),
        '{"type": "no data"}',
        '{"data": 1, "type": 5}',
        '{"data": "x", "id": "#reserved"}',
      ];
      for (const bytes of bad) await publisher.publish({ op: 'raw', channel: ch, bytes });
      await publisher.publish({
        op: 'publish',
        channel: ch,
        data: '"still alive"',
        type: '"dataUpdate"',
      });
      const next = await subscriber.events.next('the message after the malformed ones');
      assert.equal(next.data, 'still alive');
      await until(() => bridge.stats().malformed - before.malformed === bad.length, 'the counts');
      const reasons = bridge.stats().malformedByChannel.get(ch);
      assert.deepEqual({ ...reasons }, { json: 1, field: 2, encoding: 1, shape: 1, refused: 1 });
      assert.deepEqual(
        malformed.slice(-bad.length).map((m) => [m.channel, m.reason]),
        [
          [ch, 'json'],
          [ch, 'field'],
          [ch, 'encoding'],
          [ch, 'shape'],
          [ch, 'field'],
          [ch, 'refused'],
        ],
      );
      const metrics = await (await fetch(`${hub.base}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`ssehub_flask_sse_malformed_total\\{channel="${ch}",reason="json"\\} 1\\n`),
      );
      assert.match(metrics, /ssehub_flask_sse_messages_total\{outcome="malformed"\} 6\n/);
      assert.match(metrics, /ssehub_flask_sse_connected 1\n/);
    } finally {
      subscriber.close();
    }
  });

  void it('bridges every channel by default (PSUBSCRIBE *), with bounded labels; a non-UTF-8 channel is malformed', async () => {
    const seen: MalformedMessage[] = [];
    const all = await createFlaskSseBridge({
      hub: hub.hubServer.hub,
      url: REDIS_URL,
      maxChannelLabels: 2,
      onMalformed: (message) => seen.push(message),
    });
    const admin = createClient({ url: REDIS_URL });
    await admin.connect();
    const tag = randomUUID();
    const subscriber = new Subscriber(streamUrl(hub, `any-${tag}`));
    try {
      await subscriber.opened;
      // Any channel, no list given: bridged.
      await admin.publish(`any-${tag}`, JSON.stringify({ data: 'from anywhere' }));
      assert.equal(
        (await subscriber.events.next('a message on an unlisted channel')).data,
        'from anywhere',
      );
      const invalid = Buffer.concat([Buffer.from(`bad-${tag}-`), Buffer.from([0xff])]);
      await admin.publish(invalid, JSON.stringify({ data: 'x' }));
      for (const n of [1, 2, 3]) await admin.publish(`junk-${tag}-${n}`, 'not json');
      await until(
        () => seen.filter((m) => m.channel.includes(tag)).length === 4,
        'the four malformed messages',
      );
      const mine = seen.filter((m) => m.channel.includes(tag));
      assert.deepEqual(mine[0] && [mine[0].channel, mine[0].reason], [
        `bad-${tag}-\ufffd`,
        'encoding',
      ]);
      // Other programs publish on this Redis too: whatever they sent, at most
      // two channels are counted by name, the rest as "(other)".
      const labels = [...all.stats().malformedByChannel.keys()];
      assert.ok(labels.length <= 3, labels.join(', '));
      if (labels.length === 3) assert.ok(labels.includes('(other)'));
    } finally {
      subscriber.close();
      await admin.close();
      await all.close();
    }
  });

  void it('answers CORS and methods like the hub endpoint', async () => {
    const { response, reader } = await openStream(streamUrl(hub, ch), {
      origin: 'https://app.example',
    });
    reader.close();
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    const preflight = await fetch(streamUrl(hub, ch), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'last-event-id',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, OPTIONS');
    const stranger = await fetch(streamUrl(hub, ch), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    const head = await fetch(streamUrl(hub, ch), { method: 'HEAD' });
    assert.equal(head.status, 405);
    const post = await fetch(streamUrl(hub, ch), { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
  });

  void it('reconnects after losing Redis; what was published meanwhile is lost (pub/sub keeps nothing)', async () => {
    const name = `ssehub-test-bridge-${randomUUID().slice(0, 8)}`;
    const reconnecting = await createFlaskSseBridge({
      hub: hub.hubServer.hub,
      url: REDIS_URL,
      channels: [`${ch}-rc`],
      clientName: name,
    });
    const admin = createClient({ url: REDIS_URL });
    await admin.connect();
    const subscriber = new Subscriber(streamUrl(hub, `${ch}-rc`));
    try {
      await subscriber.opened;
      const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
      const id = /id=(\d+) [^\n]* name=([^ ]+)/g;
      const mine = [...list.matchAll(id)].find((m) => m[2] === name)?.[1];
      assert.ok(mine !== undefined, 'the bridge connection is listed by name');
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', mine]);
      // Published while the bridge is away: Redis hands it to nobody.
      const during = await publisher.publish({
        op: 'publish',
        channel: `${ch}-rc`,
        data: '"during"',
      });
      await until(
        () => reconnecting.stats().reconnects === 1 && reconnecting.stats().connected,
        'the bridge to reconnect',
        10_000,
      );
      for (let i = 0; ; i++) {
        const numsub = await admin.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', `${ch}-rc`]);
        if (numsub[1] >= 1) break;
        if (i > 200) assert.fail('the bridge did not resubscribe');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal(
        await publisher.publish({ op: 'publish', channel: `${ch}-rc`, data: '"after"' }),
        1,
      );
      const received = [(await subscriber.events.next('after the reconnection')).data];
      if (received[0] === 'during') received.push((await subscriber.events.next('after')).data);
      // 0 receivers (the usual case: reconnecting takes 100 ms or more): lost for good.
      assert.deepEqual(received, during === 0 ? ['after'] : ['during', 'after']);
    } finally {
      subscriber.close();
      await admin.close();
      await reconnecting.close();
    }
  });
});

void describe('flask-sse streams with --flask-sse-auth jwt', { skip, timeout: 60_000 }, () => {
  const ch = uniqueChannel('jwt');
  let hub: TestHub;
  let bridge: FlaskSseBridge;
  let publisher: Publisher;

  before(async () => {
    hub = await startHub({ anonymous: true, flaskSse: { auth: 'jwt' } });
    bridge = await createFlaskSseBridge({
      hub: hub.hubServer.hub,
      url: REDIS_URL,
      channels: [ch],
      private: true,
    });
    publisher = startPublisher();
  });

  after(async () => {
    await publisher.close();
    await bridge.close();
    await hub.close();
  });

  void it('refuses a request without a token, or with a bad one, as the hub endpoint refuses it', async () => {
    // The hub endpoint with anonymous off says the same (this hub allows anonymous
    // Mercure subscribers; flask-sse streams require a token regardless).
    const strict = await startHub({ anonymous: false });
    try {
      const cases: Record<string, string>[] = [{}, { authorization: 'Bearer not.a.jwt' }];
      for (const headers of cases) {
        const stream = await fetch(`${hub.base}/stream?channel=${encodeURIComponent(ch)}`, {
          headers,
        });
        const endpoint = await fetch(`${strict.hubUrl}?topic=x`, { headers });
        assert.equal(stream.status, 401);
        assert.equal(stream.status, endpoint.status);
        assert.equal(await stream.text(), await endpoint.text());
        // The two hubs differ by port only: the challenges name each its own hub URL.
        assert.equal(
          stream.headers.get('www-authenticate')?.replace(hub.base, '<hub>'),
          endpoint.headers.get('www-authenticate')?.replace(strict.base, '<hub>'),
        );
        assert.match(
          stream.headers.get('www-authenticate') ?? '',
          /resource_metadata="[^"]*\/\.well-known\/oauth-protected-resource\/\.well-known\/mercure"/,
        );
      }
      const expired = await token({ subscribe: ['*'], expiresIn: -60 });
      const stream = await fetch(`${hub.base}/stream?channel=x&authorization=${expired}`);
      const endpoint = await fetch(`${strict.hubUrl}?topic=x&authorization=${expired}`);
      assert.equal(stream.status, 401);
      assert.equal(await stream.text(), await endpoint.text());
    } finally {
      await strict.close();
    }
  });

  void it("delivers private updates to tokens that allow the channel's topic only", async () => {
    const allowed = new Subscriber(`${hub.base}/stream?channel=${encodeURIComponent(ch)}`, {
      bearer: await token({ subscribe: ['flask-sse:{channel}'] }),
    });
    const wrong = new Subscriber(`${hub.base}/stream?channel=${encodeURIComponent(ch)}`, {
      bearer: await token({ subscribe: ['flask-sse:another-channel'] }),
    });
    // The Mercure endpoint lets anonymous subscribers in here: they must not see private updates.
    const anonymous = new Subscriber(
      `${hub.hubUrl}?topic=${encodeURIComponent(`flask-sse:${ch}`)}`,
    );
    try {
      await Promise.all([allowed.opened, wrong.opened, anonymous.opened]);
      const before = hub.hubServer.hub.stats.deliveries;
      await publisher.publish({ op: 'publish', channel: ch, data: '"secret"' });
      assert.equal((await allowed.events.next('the private update')).data, 'secret');
      // Fan-out is synchronous: one delivery, to the allowed subscriber only.
      assert.equal(hub.hubServer.hub.stats.deliveries - before, 1);
      assert.deepEqual([wrong.all, anonymous.all], [[], []]);
    } finally {
      allowed.close();
      wrong.close();
      anonymous.close();
    }
  });
});

void it('a bridge that cannot reach Redis fails at start-up with SSE_ERR_TRANSPORT_UNAVAILABLE', async () => {
  const hub = await startHub({ anonymous: true });
  try {
    await assert.rejects(
      within(
        createFlaskSseBridge({
          hub: hub.hubServer.hub,
          url: 'redis://127.0.0.1:1',
          connectTimeoutMs: 300,
        }),
        'the bridge to give up',
      ),
      (error: unknown) =>
        error instanceof Error &&
        (error as { code?: string }).code === 'SSE_ERR_TRANSPORT_UNAVAILABLE' &&
        /Redis is unreachable at redis:\/\/127\.0\.0\.1:1/.test(error.message),
    );
  } finally {
    await hub.close();
  }
});
