/**
 * The JWT matrix: algorithms and keys, time claims, refused algorithms, the
 * three token sources and their precedence, the cookie's CSRF rule, and the
 * `mercure.publish` / `mercure.subscribe` selectors: the pre-1.0 dialect,
 * on hubs in `0.x` mode, where refusals name the problem (in `both` and
 * `1.0` modes they are RFC 6750 challenges that say nothing of why:
 * test/mercure/dialects.test.ts).
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#authorization
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createHubServer } from '../../src/hub-server/index.js';
import {
  EC,
  OTHER_SECRET,
  publish,
  RSA,
  SECRET,
  startHub as startAnyHub,
  subscribeUrl,
  Subscriber,
  token,
  unsignedToken,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const TOPIC = 'https://example.com/books/1';

/** A hub speaking the pre-1.0 dialect only. */
function startHub(options: Parameters<typeof startAnyHub>[0] = {}): Promise<TestHub> {
  return startAnyHub({ protocol: '0.x', ...options });
}

async function subscribeStatus(
  hub: TestHub,
  init: { bearer?: string; query?: Record<string, string>; cookie?: string } = {},
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  const res = await within(
    fetch(subscribeUrl(hub.hubUrl, [TOPIC], init.query), { headers }),
    'the subscribe response',
  );
  const text = res.status === 200 ? '' : await res.text();
  if (res.status === 200) await res.body?.cancel();
  return { status: res.status, text: text.trim() };
}

void describe('JWT verification (HS256 hub)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub.close());

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => token({ publish: ['*'], expiresIn: -60 }), /^invalid token: expired$/],
    [
      'nbf in the future',
      () =>
        new SignJWT({ mercure: { publish: ['*'] } })
          .setProtectedHeader({ alg: 'HS256' })
          .setNotBefore('+1h')
          .sign(new TextEncoder().encode(SECRET)),
      /^invalid token: not valid yet/,
    ],
    [
      'signed with another key',
      () => token({ key: OTHER_SECRET, publish: ['*'] }),
      /^token signed with another key$/,
    ],
    [
      'alg none',
      () => Promise.resolve(unsignedToken({ mercure: { publish: ['*'] } })),
      /^alg "none" is not allowed$/,
    ],
    [
      'another HMAC algorithm (HS512)',
      () => token({ alg: 'HS512', publish: ['*'] }),
      /^alg "HS512" is not allowed \(the hub expects "HS256"\)$/,
    ],
    [
      'an RSA token (RS256) on an HMAC hub',
      () => token({ key: RSA.privateKey, alg: 'RS256', publish: ['*'] }),
      /^alg "RS256" is not allowed/,
    ],
    ['malformed', () => Promise.resolve('not.a.jwt'), /^invalid token: malformed$/],
    ['garbage', () => Promise.resolve('garbage'), /^invalid token: malformed$/],
    [
      'a "mercure" claim that is not an object',
      () =>
        new SignJWT({ mercure: 'everything' })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(SECRET)),
      /^invalid token: the "mercure" claim must be an object$/,
    ],
  ];

  for (const [name, make, message] of refusals) {
    void test(`publish refused with 401: ${name}`, async () => {
      const before = hub.hubServer.hub.stats.updatesPublished;
      const res = await publish(hub.hubUrl, { topic: TOPIC, data: 'x' }, await make());
      assert.equal(res.status, 401);
      assert.match(res.text.trim(), message);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(hub.hubServer.hub.stats.updatesPublished, before, 'nothing published');
    });
    void test(`subscribe refused with 401: ${name}`, async () => {
      const res = await subscribeStatus(hub, { bearer: await make() });
      assert.equal(res.status, 401);
      assert.match(res.text, message);
    });
  }

  void test('a missing token is refused with 401 (publish and subscribe)', async () => {
    const res = await publish(hub.hubUrl, { topic: TOPIC, data: 'x' });
    assert.equal(res.status, 401);
    assert.match(res.text, /^missing token/);
    assert.equal((await subscribeStatus(hub)).status, 401);
  });

  void test('a malformed Authorization header is refused with 401', async () => {
    const res = await publish(hub.hubUrl, { topic: TOPIC }, undefined, {
      authorization: 'Basic abc',
    });
    assert.equal(res.status, 401);
    assert.match(res.text, /^invalid "Authorization" header/);
  });

  void test('exp within the clock tolerance is accepted', async () => {
    const tolerant = await startHub({ clockTolerance: 120 });
    try {
      const res = await publish(
        tolerant.hubUrl,
        { topic: TOPIC },
        await token({ publish: ['*'], expiresIn: -60 }),
      );
      assert.equal(res.status, 200);
    } finally {
      await tolerant.close();
    }
  });

  void test('publishing outside mercure.publish is 403 naming the topic; nothing is published', async () => {
    const limited = await token({ publish: ['https://example.com/books/{id}'] });
    const before = hub.hubServer.hub.stats.updatesPublished;
    const ok = await publish(hub.hubUrl, { topic: TOPIC }, limited);
    assert.equal(ok.status, 200);
    const res = await publish(hub.hubUrl, { topic: [TOPIC, 'https://x/y'] }, limited);
    assert.equal(res.status, 403);
    assert.equal(res.text, 'not allowed to publish to "https://x/y"\n');
    assert.equal(hub.hubServer.hub.stats.updatesPublished, before + 1);
  });

  void test('a token without mercure.publish cannot publish (403)', async () => {
    const res = await publish(hub.hubUrl, { topic: TOPIC }, await token({ subscribe: ['*'] }));
    assert.equal(res.status, 403);
    assert.match(res.text, /no "mercure.publish" claim/);
  });
});

void describe('JWT sources and precedence', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ publishOrigins: ['https://app.example'] });
  });
  after(() => hub.close());

  void test('the authorization query parameter authorizes a subscriber (browsers cannot set headers)', async () => {
    const res = await subscribeStatus(hub, { query: { authorization: await token() } });
    assert.equal(res.status, 200);
  });

  void test('the mercureAuthorization cookie authorizes a subscriber', async () => {
    const res = await subscribeStatus(hub, {
      cookie: `other=1; mercureAuthorization=${await token()}`,
    });
    assert.equal(res.status, 200);
  });

  void test('the header wins over the query parameter and the cookie', async () => {
    const good = await token();
    const res = await subscribeStatus(hub, {
      bearer: await token({ key: OTHER_SECRET }),
      query: { authorization: good },
      cookie: `mercureAuthorization=${good}`,
    });
    assert.equal(res.status, 401);
    assert.match(res.text, /another key/);
  });

  void test('the query parameter wins over the cookie', async () => {
    const good = await token();
    const res = await subscribeStatus(hub, {
      query: { authorization: await token({ key: OTHER_SECRET }) },
      cookie: `mercureAuthorization=${good}`,
    });
    assert.equal(res.status, 401);
  });

  void test('publishing with the cookie needs an allowed Origin (CSRF)', async () => {
    const cookie = `mercureAuthorization=${await token({ publish: ['*'] })}`;
    const before = hub.hubServer.hub.stats.updatesPublished;
    const none = await publish(hub.hubUrl, { topic: TOPIC }, undefined, { cookie });
    assert.equal(none.status, 401);
    assert.match(none.text, /"Origin" or "Referer" header is required/);
    const evil = await publish(hub.hubUrl, { topic: TOPIC }, undefined, {
      cookie,
      origin: 'https://evil.example',
    });
    assert.equal(evil.status, 403);
    assert.match(evil.text, /origin "https:\/\/evil.example" is not allowed/);
    assert.equal(hub.hubServer.hub.stats.updatesPublished, before, 'nothing published');
    const allowed = await publish(hub.hubUrl, { topic: TOPIC }, undefined, {
      cookie,
      origin: 'https://app.example',
    });
    assert.equal(allowed.status, 200);
    const byReferer = await publish(hub.hubUrl, { topic: TOPIC }, undefined, {
      cookie,
      referer: 'https://app.example/some/page?x=1',
    });
    assert.equal(byReferer.status, 200);
  });

  void test('publishing with the query parameter works (no CSRF risk: never sent implicitly)', async () => {
    const url = `${hub.hubUrl}?authorization=${await token({ publish: ['*'] })}`;
    const res = await publish(url, { topic: TOPIC });
    assert.equal(res.status, 200);
  });
});

void describe('asymmetric keys', () => {
  for (const [alg, pair] of [
    ['RS256', RSA],
    ['ES256', EC],
  ] as const) {
    void test(`${alg}: PEM public key verifies publisher and subscriber tokens`, async () => {
      const hub = await startHub({ jwtKey: pair.publicKey, jwtAlg: alg });
      try {
        const sub = new Subscriber(subscribeUrl(hub.hubUrl, [TOPIC]), {
          bearer: await token({ key: pair.privateKey, alg, subscribe: [TOPIC] }),
        });
        await sub.opened;
        const res = await publish(
          hub.hubUrl,
          { topic: TOPIC, data: alg, private: 'on' },
          await token({ key: pair.privateKey, alg, publish: [TOPIC] }),
        );
        assert.equal(res.status, 200);
        assert.equal((await sub.events.next()).data, alg);
        sub.close();
        // An HS256 token signed with the PEM text as secret (algorithm confusion) is refused.
        const confused = await publish(
          hub.hubUrl,
          { topic: TOPIC },
          await new SignJWT({ mercure: { publish: ['*'] } })
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(pair.publicKey)),
        );
        assert.equal(confused.status, 401);
        assert.match(confused.text, /alg "HS256" is not allowed/);
      } finally {
        await hub.close();
      }
    });
  }

  void test('a key that does not fit the algorithm fails at start-up, naming the option', () => {
    assert.throws(
      () => createHubServer({ jwtKey: EC.publicKey, jwtAlg: 'RS256', protocol: '0.x' }),
      (error: Error & { code?: string }) =>
        error.code === 'SSE_ERR_INVALID_OPTION' &&
        /"jwtKey" must be an RSA key/.test(error.message),
    );
  });
});

void describe('subscriber authorization', () => {
  void test('the stream closes when the subscriber token expires', async () => {
    const hub = await startHub();
    try {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const bearer = await new SignJWT({ mercure: { subscribe: [] } })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(SECRET));
      const res = await fetch(subscribeUrl(hub.hubUrl, [TOPIC]), {
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.status, 200);
      // The body ends (the server closed the stream) at exp, well before the deadline.
      await within(res.text(), 'the stream to end at exp', 5000);
      assert.ok(Date.now() >= exp * 1000 - 50);
    } finally {
      await hub.close();
    }
  });
});
