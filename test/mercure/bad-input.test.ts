/**
 * Bad input is refused with a status and a one-line `text/plain` message
 * naming the problem, and nothing is published: a `*` subscriber open all
 * along receives only the valid update sent at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  publish,
  publisherToken,
  startHub,
  subscribeUrl,
  Subscriber,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const RETRY_RULE =
  '"retry" must be an integer number of milliseconds from 0 to 86400000 (24 hours)';

const TOPIC = 'https://example.com/t';

void describe('bad publish input', () => {
  let hub: TestHub;
  let pub: string;
  let watcher: Subscriber;
  before(async () => {
    hub = await startHub({ anonymous: true, maxDataBytes: 1000, maxBodyBytes: 4096, maxTopics: 3 });
    pub = await publisherToken();
    watcher = new Subscriber(subscribeUrl(hub.hubUrl, ['*']));
    await watcher.opened;
  });
  after(async () => {
    watcher.close();
    await hub.close();
  });

  const cases: [string, Record<string, string | string[]>, number, string][] = [
    ['no topic', { data: 'x' }, 400, 'missing "topic"'],
    ['an empty topic', { topic: '', data: 'x' }, 400, '"topic" must not be empty'],
    [
      'too many topics (Mercure 1.0: 413)',
      { topic: ['a', 'b', 'c', 'd'] },
      413,
      'too many topics (max 3)',
    ],
    [
      'data over the limit',
      { topic: TOPIC, data: 'é'.repeat(501) },
      413,
      '"data" exceeds 1000 bytes',
    ],
    [
      'LF in id',
      { topic: TOPIC, id: 'a\nid: b' },
      400,
      '"id" must not contain control or format characters',
    ],
    [
      'CR in id',
      { topic: TOPIC, id: 'a\rb' },
      400,
      '"id" must not contain control or format characters',
    ],
    [
      'NUL in id',
      { topic: TOPIC, id: 'a\0b' },
      400,
      '"id" must not contain control or format characters',
    ],
    ['an id starting with #', { topic: TOPIC, id: '#1' }, 400, '"id" must not start with "#"'],
    [
      'LF in type',
      { topic: TOPIC, type: 'a\ndata: x' },
      400,
      '"type" must not contain control or format characters',
    ],
    [
      'CR in type',
      { topic: TOPIC, type: 'a\r' },
      400,
      '"type" must not contain control or format characters',
    ],
    [
      'NUL in type',
      { topic: TOPIC, type: '\0' },
      400,
      '"type" must not contain control or format characters',
    ],
    ['a non-numeric retry', { topic: TOPIC, retry: 'soon' }, 400, RETRY_RULE],
    ['a negative retry', { topic: TOPIC, retry: '-1' }, 400, RETRY_RULE],
    ['a fractional retry', { topic: TOPIC, retry: '1.5' }, 400, RETRY_RULE],
    ['a retry above 24 hours', { topic: TOPIC, retry: '86400001' }, 400, RETRY_RULE],
  ];

  for (const [name, fields, status, message] of cases) {
    void test(`${name} → ${status} ${message}`, async () => {
      const res = await publish(hub.hubUrl, fields, pub);
      assert.equal(res.status, status);
      assert.equal(res.text, `${message}\n`);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    });
  }

  void test('a retry of exactly 24 hours is accepted', async () => {
    // Private: the anonymous watcher below does not see it.
    const res = await publish(
      hub.hubUrl,
      { topic: 'https://example.com/retry-max', retry: '86400000', private: 'on' },
      pub,
    );
    assert.equal(res.status, 200);
  });

  void test('data exactly at the limit is accepted (UTF-8 bytes are counted)', async () => {
    const res = await publish(
      hub.hubUrl,
      { topic: 'https://example.com/limit', data: 'é'.repeat(500) },
      pub,
    );
    assert.equal(res.status, 200);
    assert.equal((await watcher.events.next()).data, 'é'.repeat(500));
  });

  void test('a reused id is accepted (Mercure: apps reuse entity ids) and delivered once each', async () => {
    const first = await publish(hub.hubUrl, { topic: TOPIC, id: 'dup', data: '1' }, pub);
    assert.equal(first.status, 200);
    assert.equal((await watcher.events.next()).data, '1');
    const second = await publish(hub.hubUrl, { topic: TOPIC, id: 'dup', data: '2' }, pub);
    assert.equal(second.status, 200);
    assert.equal(second.text, 'dup');
    assert.equal((await watcher.events.next()).data, '2');
  });

  void test('a JSON body is refused with 415 naming the expected type', async () => {
    const res = await within(
      fetch(hub.hubUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${pub}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: TOPIC }),
      }),
      'the response',
    );
    assert.equal(res.status, 415);
    assert.match(
      await res.text(),
      /unsupported Content-Type "application\/json": expected "application\/x-www-form-urlencoded"/,
    );
  });

  void test('a body over the size limit is refused with 413 before it is read', async () => {
    const body = `topic=${TOPIC}&data=${'x'.repeat(5000)}`;
    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const req = request(
          hub.hubUrl,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${pub}`,
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': String(Buffer.byteLength(body)),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              resolve({ status: res.statusCode ?? 0, text });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
    assert.equal(status, 413);
    assert.equal(text, 'request body exceeds 4096 bytes\n');
  });

  void test('other methods → 405 with Allow', async () => {
    const res = await fetch(hub.hubUrl, { method: 'PUT', body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, QUERY, POST, OPTIONS');
    assert.match(await res.text(), /^method PUT not allowed/);
  });

  void test('nothing refused above was published', async () => {
    const res = await publish(hub.hubUrl, { topic: TOPIC, data: 'sentinel' }, pub);
    assert.equal(res.status, 200);
    assert.equal((await watcher.events.next()).data, 'sentinel');
    assert.deepEqual(
      watcher.all.map((e) => e.data),
      ['é'.repeat(500), '1', '2', 'sentinel'],
    );
  });
});

void describe('bad subscribe input', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true, maxTopics: 2 });
  });
  after(() => hub.close());

  for (const [name, query, message] of [
    ['no topic', '', 'missing "topic"'],
    ['an empty topic', '?topic=', '"topic" must not be empty'],
    ['too many topics', '?topic=a&topic=b&topic=c', 'too many topics (max 2)'],
  ] as const) {
    void test(`${name} → 400 ${message}`, async () => {
      const res = await fetch(`${hub.hubUrl}${query}`);
      assert.equal(res.status, 400);
      assert.equal(await res.text(), `${message}\n`);
    });
  }

  void test('too many subscribers → 503 before the stream opens', async () => {
    const small = await startHub({ anonymous: true, maxSubscribers: 1 });
    try {
      const first = new Subscriber(subscribeUrl(small.hubUrl, ['*']));
      await first.opened;
      const res = await fetch(subscribeUrl(small.hubUrl, ['*']));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      await res.text();
      first.close();
    } finally {
      await small.close();
    }
  });
});
