/**
 * Active subscriptions ([spec] Active Subscriptions) on one hub server:
 * subscription events (exact JSON, type `mercure`, private), the
 * subscription API (collection, per matcher, single, 404, 401/403, Link with
 * the reconciliation cursor), list + `last_event_id` missing no change, and
 * the protected resource metadata.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#active-subscriptions
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createHub } from '../../src/hub/index.js';
import {
  createJwtAuthorizer,
  serveHub,
  serveSubscriptions,
  serveSubscriptionsFetch,
} from '../../src/mercure/index.js';
import { importSignKey } from '../../src/mercure/jwt-key.js';
import {
  SECRET,
  Subscriber,
  publish,
  publisherToken,
  startHub,
  subscribeUrl,
  token,
  until,
  type Received,
  type TestHub,
} from '../hub-server/helpers.js';

const DETAIL = 'https://mercure.rocks/authorization-detail';
const SUBS = '/.well-known/mercure/subscriptions';
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An RFC 9068 access token for the test hub (HS256, issuer https://issuer.test). */
async function accessToken(hubUrl: string, details: unknown[]): Promise<string> {
  const key = importSignKey(SECRET, 'HS256', 'test');
  return new SignJWT({ authorization_details: details })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer('https://issuer.test')
    .setAudience(hubUrl)
    .setExpirationTime('1h')
    .setIssuedAt()
    .sign(key.key);
}

/** A subscriber token that may read every subscription (pre-1.0 `mercure.subscribe`). */
function watcherToken(): Promise<string> {
  return token({ subscribe: ['*'] });
}

interface Doc {
  id: string;
  type: string;
  match_type: string;
  match: string;
  topic?: string;
  subscriber: string;
  active: boolean;
  payload?: unknown;
}

async function getJson(
  url: string,
  bearer?: string,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, {
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  const text = await response.text();
  let body: unknown = text;
  if (response.headers.get('content-type') === 'application/json') body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body };
}

/** Polls an async check every 20 ms until it holds (at most 5 s). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function cursorOf(headers: Headers): string {
  const link = headers.get('link') ?? '';
  const found = /last-event-id="([^"]*)"/.exec(link);
  assert.ok(found, `no last-event-id in Link: ${link}`);
  return found[1] ?? '';
}

/** The `mercure` events a watcher received, as documents. */
function docsOf(events: readonly Received[]): Doc[] {
  return events.filter((e) => e.type === 'mercure').map((e) => JSON.parse(e.data) as Doc);
}

/** Opens a watcher of every subscription event (and of everything else). */
async function watch(hubUrl: string, extra: Record<string, string> = {}): Promise<Subscriber> {
  const watcher = new Subscriber(subscribeUrl(hubUrl, ['*'], extra), {
    bearer: await watcherToken(),
    types: ['mercure'],
  });
  await watcher.opened;
  return watcher;
}

void describe('active subscriptions: events', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({
      subscriptions: true,
      anonymous: true,
      issuers: ['https://issuer.test'],
    });
  });
  after(() => hub.close());

  void it('announces a join per matcher, with the exact JSON, and a leave when the connection ends', async () => {
    const watcher = await watch(hub.hubUrl);
    const own = docsOf([await watcher.events.next('the watcher own join')]);
    assert.equal(own.length, 1);
    assert.equal(own[0]?.match_type, 'uritemplate');

    const bearer = await accessToken(hub.hubUrl, [
      {
        type: DETAIL,
        actions: ['subscribe'],
        topics: [{ match: 'https://example.com/a' }],
        payload: { room: 'a' },
      },
      {
        type: DETAIL,
        actions: ['subscribe'],
        topics: [{ match: '*' }],
        payload: { room: 'default' },
      },
    ]);
    const url = new URL(hub.hubUrl);
    url.searchParams.append('match', 'https://example.com/a');
    url.searchParams.append('match_urlpattern', 'https://example.com/b/:id');
    const modern = new Subscriber(url, { bearer });
    await modern.opened;
    const joins = docsOf([
      await watcher.events.next('join 1'),
      await watcher.events.next('join 2'),
    ]).sort((a, b) => a.match_type.localeCompare(b.match_type));
    const subscriber = joins[0]?.subscriber ?? '';
    assert.match(subscriber, UUID);
    const encoded = encodeURIComponent(subscriber);
    assert.deepEqual(joins, [
      {
        id: `${SUBS}/exact/https%3A%2F%2Fexample.com%2Fa/${encoded}`,
        type: 'subscription',
        match_type: 'exact',
        match: 'https://example.com/a',
        subscriber,
        active: true,
        payload: { room: 'a' },
      },
      {
        id: `${SUBS}/urlpattern/https%3A%2F%2Fexample.com%2Fb%2F%3Aid/${encoded}`,
        type: 'subscription',
        match_type: 'urlpattern',
        match: 'https://example.com/b/:id',
        subscriber,
        active: true,
        payload: { room: 'default' },
      },
    ]);
    // The raw event: type `mercure`, its id the update's, the JSON on one line.
    const raw = watcher.all.filter((e) => e.type === 'mercure').at(-1);
    assert.ok(raw !== undefined && !raw.data.includes('\n') && raw.lastEventId !== '');

    modern.close();
    const leaves = docsOf([
      await watcher.events.next('leave 1'),
      await watcher.events.next('leave 2'),
    ]).sort((a, b) => a.match_type.localeCompare(b.match_type));
    assert.deepEqual(
      leaves,
      joins.map((d) => ({ ...d, active: false })),
    );
    watcher.close();
  });

  void it('lists a pre-1.0 topic= subscription as uritemplate, with topic and mercure.payload', async () => {
    const watcher = await watch(hub.hubUrl);
    await watcher.events.next('the watcher own join');
    const legacy = new Subscriber(subscribeUrl(hub.hubUrl, ['https://example.com/books/{id}']), {
      bearer: await token({ subscribe: ['https://example.com/books/{id}'], payload: { u: 7 } }),
    });
    await legacy.opened;
    const [join] = docsOf([await watcher.events.next('the legacy join')]);
    assert.ok(join !== undefined);
    assert.deepEqual(join, {
      id: `${SUBS}/uritemplate/https%3A%2F%2Fexample.com%2Fbooks%2F%7Bid%7D/${encodeURIComponent(join.subscriber)}`,
      type: 'subscription',
      match_type: 'uritemplate',
      match: 'https://example.com/books/{id}',
      topic: 'https://example.com/books/{id}',
      subscriber: join.subscriber,
      active: true,
      payload: { u: 7 },
    });
    legacy.close();
    const [leave] = docsOf([await watcher.events.next('the legacy leave')]);
    assert.equal(leave?.active, false);
    watcher.close();
  });

  void it('delivers subscription events only to subscribers authorized for them', async () => {
    const anonymous = new Subscriber(subscribeUrl(hub.hubUrl, ['*']), { types: ['mercure'] });
    const narrow = new Subscriber(subscribeUrl(hub.hubUrl, ['*']), {
      bearer: await token({ subscribe: ['https://example.com/private/{id}'] }),
      types: ['mercure'],
    });
    const watcher = await watch(hub.hubUrl);
    await Promise.all([anonymous.opened, narrow.opened]);
    // Some churn, seen by the watcher…
    for (let i = 0; i < 3; i++) {
      const churn = new Subscriber(subscribeUrl(hub.hubUrl, [`https://example.com/c/${i}`]));
      await churn.opened;
      churn.close();
    }
    await until(
      () =>
        docsOf(watcher.all).filter((d) => d.match.startsWith('https://example.com/c/')).length ===
        6,
      'the watcher to see 3 joins and 3 leaves',
    );
    // … then a public marker: once it arrived, nothing before it was a subscription event.
    const marker = await publish(
      hub.hubUrl,
      { topic: 'https://example.com/marker', data: 'marker' },
      await publisherToken(),
    );
    assert.equal(marker.status, 200);
    for (const other of [anonymous, narrow]) {
      await until(() => other.all.some((e) => e.data === 'marker'), 'the marker');
      assert.deepEqual(
        other.all.filter((e) => e.type === 'mercure' || e.data.includes('"subscription"')),
        [],
      );
    }
    for (const s of [anonymous, narrow, watcher]) s.close();
  });
});

void describe('active subscriptions: the subscription API', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ subscriptions: true, anonymous: true });
  });
  after(() => hub.close());

  void it('serves the collection, per matcher and single documents, with the cursor in Link', async () => {
    const bearer = await watcherToken();
    const a = new Subscriber(subscribeUrl(hub.hubUrl, ['https://example.com/x']));
    const b = new Subscriber(
      subscribeUrl(hub.hubUrl, ['https://example.com/x', 'https://example.com/y']),
    );
    await Promise.all([a.opened, b.opened]);
    // The joins are listed as soon as they are announced (a few ms at most).
    let all: { status: number; headers: Headers; body: unknown } | undefined;
    for (let i = 0; i < 50; i++) {
      all = await getJson(`${hub.base}${SUBS}`, bearer);
      if ((all.body as { subscriptions: Doc[] }).subscriptions.length === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(all !== undefined);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), 'application/json');
    const link = all.headers.get('link') ?? '';
    assert.match(
      link,
      /^<http:\/\/127\.0\.0\.1:\d+\/\.well-known\/mercure>; rel="mercure"; last-event-id="[^"]+"; type="mercure"; content-type="application\/json"$/,
    );
    const collection = all.body as { id: string; type: string; subscriptions: Doc[] };
    assert.equal(collection.id, SUBS);
    assert.equal(collection.type, 'subscriptions');
    assert.equal(collection.subscriptions.length, 3);
    assert.ok(collection.subscriptions.every((d) => d.active && d.type === 'subscription'));

    const perMatcher = `${SUBS}/uritemplate/${encodeURIComponent('https://example.com/x')}`;
    const x = await getJson(`${hub.base}${perMatcher}`, bearer);
    assert.equal(x.status, 200);
    const xs = x.body as { id: string; type: string; subscriptions: Doc[] };
    assert.equal(xs.id, perMatcher);
    assert.equal(xs.type, 'subscriptions');
    assert.equal(xs.subscriptions.length, 2);
    assert.notEqual(xs.subscriptions[0]?.subscriber, xs.subscriptions[1]?.subscriber);

    const one = xs.subscriptions[0] as Doc;
    const single = await getJson(`${hub.base}${one.id}`, bearer);
    assert.equal(single.status, 200);
    assert.deepEqual(single.body, one);
    assert.equal(cursorOf(single.headers), cursorOf(all.headers));

    // A conditional request for what did not change.
    const etag = single.headers.get('etag') ?? '';
    const again = await fetch(`${hub.base}${one.id}`, {
      headers: { authorization: `Bearer ${bearer}`, 'if-none-match': etag },
    });
    assert.equal(again.status, 304);

    a.close();
    b.close();
  });

  void it('answers 404 for an unknown subscription or shape, 400 for an unknown match_type', async () => {
    const bearer = await watcherToken();
    const unknown = await getJson(
      `${hub.base}${SUBS}/exact/${encodeURIComponent('https://example.com/none')}/${encodeURIComponent('urn:uuid:00000000-0000-4000-8000-000000000000')}`,
      bearer,
    );
    assert.equal(unknown.status, 404);
    assert.equal((await getJson(`${hub.base}${SUBS}/exact`, bearer)).status, 404);
    assert.equal((await getJson(`${hub.base}${SUBS}/a/b/c/d`, bearer)).status, 404);
    const badType = await getJson(`${hub.base}${SUBS}/regex/x`, bearer);
    assert.equal(badType.status, 400);
    assert.match(String(badType.body), /match_type/);
    const badEncoding = await getJson(`${hub.base}${SUBS}/exact/%E0%A4%A`, bearer);
    assert.equal(badEncoding.status, 400);
  });

  void it('answers 401 without a token and 403 with a token that does not cover the path', async () => {
    const none = await getJson(`${hub.base}${SUBS}`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const narrow = await getJson(
      `${hub.base}${SUBS}`,
      await token({ subscribe: ['https://example.com/{id}'] }),
    );
    assert.equal(narrow.status, 403);
    // A token for one matcher's subscriptions reads that collection, not the whole.
    const path = `${SUBS}/uritemplate/${encodeURIComponent('https://example.com/x')}`;
    const scoped = await token({ subscribe: [`${path}{/subscriber}`, path] });
    assert.equal((await getJson(`${hub.base}${path}`, scoped)).status, 200);
    assert.equal((await getJson(`${hub.base}${SUBS}`, scoped)).status, 403);
  });

  void it('list + last_event_id: the events after the cursor bring the list up to date, missing nothing', async () => {
    const bearer = await watcherToken();
    const open = new Set<Subscriber>();
    let opened = 0;
    // Bounded churn: at most 40 connections, opened and closed while we read.
    const churn = (async () => {
      while (opened < 40) {
        const s = new Subscriber(
          subscribeUrl(hub.hubUrl, [`https://example.com/churn/${opened++}`]),
        );
        open.add(s);
        await s.opened;
        if (opened % 2 === 0) {
          const first = [...open][0];
          first?.close();
          if (first !== undefined) open.delete(first);
        }
      }
    })();
    await until(() => opened >= 8, 'some churn');
    const listed = await getJson(`${hub.base}${SUBS}`, bearer);
    assert.equal(listed.status, 200);
    const cursor = cursorOf(listed.headers);
    const state = new Map(
      (listed.body as { subscriptions: Doc[] }).subscriptions.map((d) => [d.id, d]),
    );
    const url = new URL(hub.hubUrl);
    url.searchParams.append('match_urlpattern', `${SUBS}/*`);
    url.searchParams.set('last_event_id', cursor);
    const follower = new Subscriber(url, { bearer, types: ['mercure'] });
    await follower.opened;
    await churn;
    for (const s of open) s.close();
    open.clear();
    // Quiet: the follower's own join is the last event; wait for every leave.
    const final = async (): Promise<Map<string, Doc>> => {
      const got = await getJson(`${hub.base}${SUBS}`, bearer);
      return new Map((got.body as { subscriptions: Doc[] }).subscriptions.map((d) => [d.id, d]));
    };
    let expected = await final();
    await eventually(async () => {
      expected = await final();
      return expected.size === 1;
    }, 'only the follower to be left');
    await until(() => {
      const applied = new Map(state);
      for (const d of docsOf(follower.all)) {
        if (d.active) applied.set(d.id, d);
        else applied.delete(d.id);
      }
      return applied.size === expected.size && [...expected.keys()].every((id) => applied.has(id));
    }, 'the listed state plus the events to equal the final list');
    follower.close();
  });
});

void describe('active subscriptions: metadata', () => {
  void it('says mercure_subscriptions: true when on, nothing when off', async () => {
    const on = await startHub({ subscriptions: true });
    const off = await startHub();
    try {
      const path = '/.well-known/oauth-protected-resource/.well-known/mercure';
      const withIt = (await getJson(`${on.base}${path}`)).body as Record<string, unknown>;
      const without = (await getJson(`${off.base}${path}`)).body as Record<string, unknown>;
      assert.equal(withIt.mercure_subscriptions, true);
      assert.equal('mercure_subscriptions' in without, false);
      assert.equal((await getJson(`${off.base}${SUBS}`, await watcherToken())).status, 404);
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });
});

void describe('active subscriptions: forged subscription events', () => {
  for (const protocol of ['0.x', 'both'] as const) {
    void it(`are refused from publishers in ${protocol} mode (type mercure, the hub's namespace)`, async () => {
      const hub = await startHub({ subscriptions: true, anonymous: true, protocol });
      try {
        const bearer = await publisherToken();
        const forged = `${SUBS}/exact/x/${encodeURIComponent('urn:uuid:00000000-0000-4000-8000-000000000000')}`;
        const byType = await publish(
          hub.hubUrl,
          { topic: 'https://example.com/x', data: '{}', type: 'mercure' },
          bearer,
        );
        assert.equal(byType.status, 400);
        assert.match(byType.text, /type/);
        const byTopic = await publish(hub.hubUrl, { topic: forged, data: '{}' }, bearer);
        assert.equal(byTopic.status, 400);
        assert.match(byTopic.text, /reserved namespace/);
        const absolute = await publish(
          hub.hubUrl,
          { topic: `${hub.base}${forged}`, data: '{}', private: 'on' },
          bearer,
        );
        assert.equal(absolute.status, 400);
      } finally {
        await hub.close();
      }
    });
  }
});

void describe('active subscriptions: embedded (serveHub + serveSubscriptions)', () => {
  void it('answers like the standalone server on node:http and Fetch', async () => {
    const hub = createHub({ subscriptions: { hubPath: '/events' } });
    const authorize = createJwtAuthorizer({ jwtKey: SECRET, anonymous: true });
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/events/subscriptions') === true) {
        void serveSubscriptions(hub, req, res, { authorize });
      } else void serveHub(hub, req, res, { authorize });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    const subscriber = new Subscriber(
      `${base}/events?topic=${encodeURIComponent('https://example.com/e')}`,
    );
    try {
      await subscriber.opened;
      const bearer = await watcherToken();
      let listed: Doc[] = [];
      await eventually(async () => {
        const got = await getJson(`${base}/events/subscriptions`, bearer);
        assert.equal(got.status, 200);
        assert.match(
          got.headers.get('link') ?? '',
          /^<http:\/\/127\.0\.0\.1:\d+\/events>; rel="mercure"; last-event-id="/,
        );
        listed = (got.body as { subscriptions: Doc[] }).subscriptions;
        return listed.length === 1;
      }, 'the embedded list');
      assert.equal(
        listed[0]?.id.startsWith(
          '/events/subscriptions/uritemplate/https%3A%2F%2Fexample.com%2Fe/urn%3Auuid%3A',
        ),
        true,
      );
      assert.equal((await getJson(`${base}/events/subscriptions`)).status, 401);
      assert.equal(
        (
          await getJson(
            `${base}/events/subscriptions`,
            await token({ subscribe: ['https://example.com/e'] }),
          )
        ).status,
        403,
      );
      const viaFetch = await serveSubscriptionsFetch(
        hub,
        new Request(`${base}${listed[0].id}`, {
          headers: { authorization: `Bearer ${bearer}` },
        }),
        { authorize },
      );
      assert.equal(viaFetch.status, 200);
      assert.deepEqual(await viaFetch.json(), listed[0]);
      const unknown = await serveSubscriptionsFetch(
        hub,
        new Request(`${base}/events/subscriptions/exact/x/y`, {
          headers: { authorization: `Bearer ${bearer}` },
        }),
        { authorize },
      );
      assert.equal(unknown.status, 404);
    } finally {
      subscriber.close();
      server.closeAllConnections();
      server.close();
      await hub.close();
    }
  });
});
