/**
 * `corsOrigins: '*'` (CLI `--cors-origin '*'`) must not hand every web site
 * the user's cookie: with `*` the hub answers `Access-Control-Allow-Origin: *`
 * and never `Access-Control-Allow-Credentials`, so a browser refuses a
 * credentialed cross-origin request (as the Fetch standard requires). Only
 * origins listed by name are echoed with credentials (and `Vary: Origin`).
 *
 * The attack: a page on https://evil.example runs
 * `new EventSource(hub, { withCredentials: true })`; if the hub echoed its
 * origin with credentials, the page would read the private updates of
 * whoever visits it. Checked on the preflight, the event stream (both the
 * lean front door and node:http), publish answers and errors.
 *
 * @see https://fetch.spec.whatwg.org/#cors-protocol-and-credentials
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  publish,
  publisherToken,
  startHub,
  subscribeUrl,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const EVIL = 'https://evil.example';
const APP = 'https://app.example';

function preflight(hubUrl: string, origin: string, method = 'GET'): Promise<Response> {
  return within(
    fetch(hubUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, last-event-id, content-type',
      },
    }),
    'the preflight',
  );
}

async function subscribe(hubUrl: string, origin: string): Promise<Response> {
  const res = await within(
    fetch(subscribeUrl(hubUrl, ['*']), { headers: { origin } }),
    'the subscription',
  );
  await res.body?.cancel();
  return res;
}

function assertNoCredentials(res: { headers: Headers }, what: string): void {
  assert.equal(res.headers.get('access-control-allow-origin'), '*', `${what}: allow-origin`);
  assert.equal(
    res.headers.get('access-control-allow-credentials'),
    null,
    `${what}: no credentials for *`,
  );
}

function assertAllowedHeaders(res: Response): void {
  const allowed = (res.headers.get('access-control-allow-headers') ?? '')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim());
  for (const header of ['last-event-id', 'authorization', 'content-type']) {
    assert.ok(allowed.includes(header), `Access-Control-Allow-Headers has ${header}`);
  }
}

for (const leanSubscribers of [true, false]) {
  void describe(`CORS * never grants credentials (leanSubscribers: ${String(leanSubscribers)})`, () => {
    let hub: TestHub;
    before(async () => {
      // corsCredentials is left at its default (true): * must still not get them.
      hub = await startHub({ anonymous: true, corsOrigins: '*', leanSubscribers });
    });
    after(() => hub.close());

    void it('a preflight from any origin: Allow-Origin *, no Allow-Credentials, the Mercure headers allowed', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await preflight(hub.hubUrl, EVIL, method);
        assert.equal(res.status, 204);
        assertNoCredentials(res, `preflight ${method}`);
        assertAllowedHeaders(res);
        assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
      }
    });

    void it('the event stream for any origin: Allow-Origin *, no Allow-Credentials', async () => {
      const res = await subscribe(hub.hubUrl, EVIL);
      assert.equal(res.status, 200);
      assertNoCredentials(res, 'event stream');
    });

    void it('publish answers and errors: Allow-Origin *, no Allow-Credentials', async () => {
      const ok = await publish(hub.hubUrl, { topic: 'x' }, await publisherToken(), {
        origin: EVIL,
      });
      assert.equal(ok.status, 200);
      assertNoCredentials(ok, 'publish');
      const refused = await publish(hub.hubUrl, { topic: 'x' }, undefined, { origin: EVIL });
      assert.equal(refused.status, 401);
      assertNoCredentials(refused, 'refused publish');
    });

    void it("['*'] as a list is the same as '*'", async () => {
      const listed = await startHub({ anonymous: true, corsOrigins: ['*'], leanSubscribers });
      try {
        assertNoCredentials(await preflight(listed.hubUrl, EVIL), 'preflight');
        assertNoCredentials(await subscribe(listed.hubUrl, EVIL), 'event stream');
      } finally {
        await listed.close();
      }
    });
  });
}

void describe('CORS: credentials only for origins listed by name', () => {
  let hub: TestHub;
  before(async () => {
    // Any origin without credentials, and the app's origin with them.
    hub = await startHub({ anonymous: true, corsOrigins: ['*', APP] });
  });
  after(() => hub.close());

  void it('a listed origin is echoed with credentials and Vary: Origin (preflight and stream)', async () => {
    const pre = await preflight(hub.hubUrl, APP);
    assert.equal(pre.headers.get('access-control-allow-origin'), APP);
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.match(pre.headers.get('vary') ?? '', /\bOrigin\b/);
    assertAllowedHeaders(pre);
    const res = await subscribe(hub.hubUrl, APP);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('vary') ?? '', /\bOrigin\b/);
  });

  void it('any other origin gets * without credentials, and Vary: Origin (the answer depends on it)', async () => {
    for (const res of [await preflight(hub.hubUrl, EVIL), await subscribe(hub.hubUrl, EVIL)]) {
      assertNoCredentials(res, 'unlisted origin');
      assert.match(res.headers.get('vary') ?? '', /\bOrigin\b/);
    }
  });
});
