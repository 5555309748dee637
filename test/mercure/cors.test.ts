/**
 * CORS: preflights, actual responses (streams, publish answers, errors),
 * credentials never with `*` (only for origins listed by name), `Vary: Origin`.
 *
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  publish,
  publisherToken,
  startHub,
  subscribeUrl,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const APP = 'https://app.example';

function preflight(hubUrl: string, origin: string, method = 'GET'): Promise<Response> {
  return within(
    fetch(hubUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, last-event-id',
      },
    }),
    'the preflight',
  );
}

void describe('CORS with a list of origins (credentials on, the default)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true, corsOrigins: [APP] });
  });
  after(() => hub.close());

  void test('a preflight from an allowed origin allows the Mercure headers and methods', async () => {
    const res = await preflight(hub.hubUrl, APP, 'POST');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, QUERY, POST, OPTIONS');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'last-event-id', 'content-type', 'cache-control']) {
      assert.ok(allowed.includes(header), header);
    }
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  void test('a preflight from another origin gets no CORS headers', async () => {
    const res = await preflight(hub.hubUrl, 'https://evil.example');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  void test('the event stream echoes an allowed origin, with credentials and Vary', async () => {
    const res = await fetch(subscribeUrl(hub.hubUrl, ['*']), { headers: { origin: APP } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('vary') ?? '', /Origin/);
    await res.body?.cancel();
  });

  void test('publish answers and errors carry CORS headers too (the page can read them)', async () => {
    const ok = await publish(hub.hubUrl, { topic: 'x' }, await publisherToken(), { origin: APP });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
    const refused = await publish(hub.hubUrl, { topic: 'x' }, undefined, { origin: APP });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), APP);
  });

  void test('a request from another origin gets Vary but no allow-origin', async () => {
    const res = await fetch(subscribeUrl(hub.hubUrl, ['*']), {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
    await res.body?.cancel();
  });
});

void describe('CORS with *', () => {
  // Credentials go only to origins listed by name (with '*' the hub answers
  // '*' without them: test/hardening/cors-wildcard.test.ts), so this check
  // lists the origin it sends.
  void test('with credentials, the origin is echoed, never *', async () => {
    const hub = await startHub({ anonymous: true, corsOrigins: ['https://anywhere.example'] });
    try {
      const res = await preflight(hub.hubUrl, 'https://anywhere.example');
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://anywhere.example');
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    } finally {
      await hub.close();
    }
  });

  void test('without credentials, * is sent and no credentials header', async () => {
    const hub = await startHub({ anonymous: true, corsOrigins: ['*'], corsCredentials: false });
    try {
      const res = await fetch(subscribeUrl(hub.hubUrl, ['*']), {
        headers: { origin: 'https://anywhere.example' },
      });
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
      await res.body?.cancel();
    } finally {
      await hub.close();
    }
  });

  void test('no CORS configured: no CORS headers at all', async () => {
    const hub = await startHub({ anonymous: true });
    try {
      const res = await preflight(hub.hubUrl, APP);
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    } finally {
      await hub.close();
    }
  });

  void test('an invalid origin option is refused at start-up, naming the option', async () => {
    await assert.rejects(
      startHub({ corsOrigins: ['https://app.example/path'] }),
      /"corsOrigins" has "https:\/\/app.example\/path", which is not an origin/,
    );
  });
});
