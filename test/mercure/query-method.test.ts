/**
 * [spec] Subscription, 1.0: the `QUERY` method carries the subscribe
 * parameters in an `application/x-www-form-urlencoded` body; the hub takes
 * the union of query and body, `last_event_id` from the query when both have
 * it, the `Last-Event-ID` header above both. Bounded like a publish body.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createParser, type ParsedEvent } from '../../src/protocol/index.js';
import { publish, publisherToken, startHub, within, type TestHub } from '../hub-server/helpers.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Opens a stream; returns its response and a function reading the next `n` events. */
async function open(
  url: string,
  init: RequestInit,
): Promise<{ res: Response; events: (n: number) => Promise<ParsedEvent[]>; close: () => void }> {
  const controller = new AbortController();
  const res = await within(fetch(url, { ...init, signal: controller.signal }), 'the response');
  const queue: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const reader = res.body?.getReader();
  async function events(n: number): Promise<ParsedEvent[]> {
    while (queue.length < n) {
      if (reader === undefined) throw new Error('no body');
      const { done, value } = await within(reader.read(), 'an event');
      if (done) throw new Error('the stream ended');
      parser.feed(value);
    }
    return queue.splice(0, n);
  }
  return {
    res,
    events,
    close: () => {
      controller.abort();
    },
  };
}

void describe('QUERY subscribe', () => {
  let hub: TestHub;
  let publisher: string;
  before(async () => {
    hub = await startHub({ anonymous: true, protocol: 'both' });
    publisher = await publisherToken();
  });
  after(() => hub.close());

  void it('matchers from the body and the query are both subscribed (the union)', async () => {
    const stream = await open(`${hub.hubUrl}?match=from-query`, {
      method: 'QUERY',
      headers: FORM,
      body: 'match=from-body&match_urlpattern=%2Fbooks%2F%3Aid',
    });
    assert.equal(stream.res.status, 200);
    assert.match(stream.res.headers.get('content-type') ?? '', /^text\/event-stream/);
    for (const topic of ['from-query', 'elsewhere', 'from-body', '/books/7']) {
      const answer = await publish(hub.hubUrl, { topic, data: topic }, publisher);
      assert.equal(answer.status, 200, answer.text);
    }
    const got = await stream.events(3);
    assert.deepEqual(
      got.map((e) => e.data),
      ['from-query', 'from-body', '/books/7'],
    );
    stream.close();
  });

  void it('last_event_id in the body resumes; the query value wins over the body', async () => {
    const ids: string[] = [];
    for (const data of ['a', 'b', 'c']) {
      const answer = await publish(hub.hubUrl, { topic: 'resume', data }, publisher);
      ids.push(answer.text);
    }
    const fromBody = await open(hub.hubUrl, {
      method: 'QUERY',
      headers: FORM,
      body: new URLSearchParams({ match: 'resume', last_event_id: ids[0] ?? '' }).toString(),
    });
    assert.equal(fromBody.res.headers.get('mercure-last-event-id'), ids[0]);
    assert.deepEqual(
      (await fromBody.events(2)).map((e) => e.data),
      ['b', 'c'],
    );
    fromBody.close();

    const both = await open(`${hub.hubUrl}?last_event_id=${encodeURIComponent(ids[1] ?? '')}`, {
      method: 'QUERY',
      headers: FORM,
      body: new URLSearchParams({ match: 'resume', last_event_id: ids[0] ?? '' }).toString(),
    });
    assert.equal(both.res.headers.get('mercure-last-event-id'), ids[1]);
    assert.deepEqual(
      (await both.events(1)).map((e) => e.data),
      ['c'],
    );
    both.close();
  });

  void it('a body that is not a form: 415; a body over the limit: 413; a bad matcher: 400', async () => {
    const json = await fetch(hub.hubUrl, {
      method: 'QUERY',
      headers: { 'content-type': 'application/json' },
      body: '{"match":"x"}',
    });
    assert.equal(json.status, 415);
    assert.match(await json.text(), /application\/x-www-form-urlencoded/);

    const big = await fetch(hub.hubUrl, {
      method: 'QUERY',
      headers: FORM,
      body: `match=${'x'.repeat(2 * 1024 * 1024)}`,
    });
    assert.equal(big.status, 413);
    await big.body?.cancel();

    const bad = await fetch(hub.hubUrl, { method: 'QUERY', headers: FORM, body: 'match_regex=x' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /match_regex/);
  });

  void it('CORS preflights allow QUERY', async () => {
    const res = await fetch(hub.hubUrl, { method: 'OPTIONS' });
    assert.match(res.headers.get('allow') ?? '', /\bQUERY\b/);
  });
});

void describe('QUERY on a pre-1.0 hub', () => {
  void it('is not a subscribe: 405 naming the methods', async () => {
    const hub = await startHub({ anonymous: true, protocol: '0.x' });
    try {
      const res = await fetch(hub.hubUrl, { method: 'QUERY', headers: FORM, body: 'topic=x' });
      assert.equal(res.status, 405);
      assert.match(res.headers.get('allow') ?? '', /GET/);
    } finally {
      await hub.close();
    }
  });
});
