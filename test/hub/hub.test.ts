/**
 * The hub contract through the in-process API: publish validation, topic
 * selectors, private updates (Mercure "Authorization / Subscribers"), replay
 * after a Last-Event-ID, `earliest`, unknown ids, no gap / no duplicate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import type { PublishInput, Transport, Update } from '../../src/hub/types.js';
import type { SseErrorCode } from '../../src/index.js';
import { isSseError } from '../../src/protocol/sse-error.js';
import { take, within } from './helpers.js';

function rejectsWith(code: SseErrorCode, field?: string) {
  return (error: unknown): boolean => {
    assert.ok(isSseError(error, code), `expected ${code}, got ${String(error)}`);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  };
}

void describe('hub.publish', () => {
  void it('returns a urn:uuid id, or the publisher id', async () => {
    const hub = createHub();
    const id = await hub.publish({ topics: 'a', data: 'x' });
    assert.match(id, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(await hub.publish({ topics: ['a'], id: 'mine' }), 'mine');
    await hub.close();
  });

  void describe('rejects bad input with a typed error and stores nothing', () => {
    const bad: [string, PublishInput, SseErrorCode, string | undefined][] = [
      ['no topic', { topics: [] }, 'SSE_ERR_INVALID_TOPIC', 'topic'],
      ['empty topic', { topics: [''] }, 'SSE_ERR_INVALID_TOPIC', 'topic'],
      ['non-string topic', { topics: [1 as unknown as string] }, 'SSE_ERR_INVALID_TOPIC', 'topic'],
      ['too many topics', { topics: ['a', 'b', 'c'] }, 'SSE_ERR_UPDATE_TOO_LARGE', 'topic'],
      ['data over limit', { topics: 'a', data: 'é'.repeat(6) }, 'SSE_ERR_DATA_TOO_LARGE', 'data'],
      ['LF in id', { topics: 'a', id: 'x\ny' }, 'SSE_ERR_INVALID_FIELD', 'id'],
      ['CR in id', { topics: 'a', id: 'x\ry' }, 'SSE_ERR_INVALID_FIELD', 'id'],
      ['NUL in id', { topics: 'a', id: 'x\0y' }, 'SSE_ERR_INVALID_FIELD', 'id'],
      ['id starting with #', { topics: 'a', id: '#1' }, 'SSE_ERR_INVALID_FIELD', 'id'],
      ['id "earliest"', { topics: 'a', id: 'earliest' }, 'SSE_ERR_INVALID_FIELD', 'id'],
      ['LF in type', { topics: 'a', type: 'x\ndata: injected' }, 'SSE_ERR_INVALID_FIELD', 'type'],
      ['NUL in type', { topics: 'a', type: 'x\0' }, 'SSE_ERR_INVALID_FIELD', 'type'],
      [
        'non-numeric retry',
        { topics: 'a', retry: Number('abc') },
        'SSE_ERR_INVALID_FIELD',
        'retry',
      ],
      ['negative retry', { topics: 'a', retry: -1 }, 'SSE_ERR_INVALID_FIELD', 'retry'],
      ['fractional retry', { topics: 'a', retry: 1.5 }, 'SSE_ERR_INVALID_FIELD', 'retry'],
      ['retry above 24 h', { topics: 'a', retry: 86_400_001 }, 'SSE_ERR_INVALID_FIELD', 'retry'],
    ];
    for (const [name, input, code, field] of bad) {
      void it(name, async () => {
        // 11 bytes of data max: 'é' is 2 bytes in UTF-8, so 6 of them is 12.
        const hub = createHub({ maxTopicsPerUpdate: 2, maxDataBytes: 11 });
        const sub = hub.subscribe({ topics: ['*'] });
        await assert.rejects(hub.publish(input), rejectsWith(code, field));
        assert.equal(hub.stats.updatesPublished, 0);
        assert.equal(hub.stats.history?.count, 0);
        const id = await hub.publish({ topics: 'a', data: 'ok' });
        const [first] = await take(sub, 1);
        assert.equal(first?.id, id, 'the bad update was never delivered');
        await hub.close();
      });
    }
  });

  void it('accepts a reused publisher id; Last-Event-ID resumes after its earliest occurrence', async () => {
    // Mercure: apps reuse entity ids; [spec] a reused id names its earliest update.
    const hub = createHub();
    await hub.publish({ topics: 'a', id: 'same', data: '1' });
    await hub.publish({ topics: 'a', id: 'between', data: '2' });
    await hub.publish({ topics: 'a', id: 'same', data: '3' });
    assert.equal(hub.stats.history?.count, 3);
    const sub = hub.subscribe({ topics: ['a'], lastEventId: 'same' });
    assert.deepEqual((await sub.ready).lastEventId, 'same');
    assert.deepEqual(
      (await take(sub, 2)).map((u) => u.data),
      ['2', '3'],
    );
    await hub.close();
  });

  void it('maps a failing transport to SSE_ERR_TRANSPORT_UNAVAILABLE', async () => {
    const broken: Transport = {
      dispatch: () => Promise.reject(new Error('connection refused')),
      subscribe: () => () => undefined,
      livePosition: () => '0',
      history: () => Promise.reject(new Error('connection refused')),
      lastEventId: () => Promise.resolve(undefined),
      close: () => Promise.resolve(),
    };
    const hub = createHub({ transport: broken });
    await assert.rejects(
      hub.publish({ topics: 'a' }),
      rejectsWith('SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
    const sub = hub.subscribe({ topics: ['a'], lastEventId: 'x' });
    await assert.rejects(sub.ready, rejectsWith('SSE_ERR_TRANSPORT_UNAVAILABLE'));
    await assert.rejects(sub.next(), rejectsWith('SSE_ERR_TRANSPORT_UNAVAILABLE'));
    assert.equal(hub.subscriberCount, 0);
    await hub.close();
  });

  void it('close() ends subscriptions and refuses new work with SSE_ERR_HUB_CLOSED', async () => {
    const hub = createHub();
    const sub = hub.subscribe({ topics: ['a'] });
    const next = sub.next();
    await hub.close();
    assert.deepEqual(await within(next, 'the subscription to end'), {
      value: undefined,
      done: true,
    });
    await assert.rejects(hub.publish({ topics: 'a' }), rejectsWith('SSE_ERR_HUB_CLOSED'));
    assert.throws(() => hub.subscribe({ topics: ['a'] }), rejectsWith('SSE_ERR_HUB_CLOSED'));
    await hub.close(); // idempotent
  });
});

void describe('hub.subscribe', () => {
  void it('validates selectors and capacity', async () => {
    const hub = createHub({ maxTopicsPerSubscription: 2, maxSubscribers: 1 });
    assert.throws(() => hub.subscribe({ topics: [] }), rejectsWith('SSE_ERR_INVALID_TOPIC'));
    assert.throws(
      () => hub.subscribe({ topics: ['a', 'b', 'c'] }),
      rejectsWith('SSE_ERR_TOO_MANY_TOPICS'),
    );
    const first = hub.subscribe({ topics: ['a'] });
    assert.throws(
      () => hub.subscribe({ topics: ['a'] }),
      rejectsWith('SSE_ERR_TOO_MANY_SUBSCRIBERS'),
    );
    first.close();
    hub.subscribe({ topics: ['a'] }).close();
    await hub.close();
  });

  void it('delivers by exact topic, *, and URI template; each update once per subscriber', async () => {
    const hub = createHub();
    const exact = hub.subscribe({ topics: ['https://e.com/books/1'] });
    const any = hub.subscribe({ topics: ['*'] });
    const template = hub.subscribe({ topics: ['https://e.com/books/{id}'] });
    // Overlapping selectors still deliver each update once.
    const overlap = hub.subscribe({
      topics: ['https://e.com/books/1', 'https://e.com/books/{id}', '*'],
    });
    await hub.publish({ topics: 'https://e.com/books/1', data: '1' });
    await hub.publish({ topics: 'https://e.com/books/1/reviews', data: 'reviews' });
    await hub.publish({ topics: ['https://e.com/other', 'https://e.com/books/2'], data: 'alt' });
    await hub.publish({ topics: 'end', data: 'end' });
    const data = async (sub: AsyncIterator<Update>, n: number) =>
      (await take(sub, n)).map((u) => u.data);
    assert.deepEqual(await data(exact, 1), ['1']);
    assert.deepEqual(await data(any, 4), ['1', 'reviews', 'alt', 'end']);
    assert.deepEqual(await data(template, 2), ['1', 'alt']);
    assert.deepEqual(await data(overlap, 4), ['1', 'reviews', 'alt', 'end']);
    await hub.close();
  });

  void it('private updates reach only subscribers authorized for one of their topics', async () => {
    const hub = createHub();
    const anonymous = hub.subscribe({ topics: ['*'] });
    const allowed = hub.subscribe({
      topics: ['https://e.com/books/{id}'],
      claims: { subscribe: ['https://e.com/users/foo/{?topic}'] },
    });
    const wrongClaims = hub.subscribe({
      topics: ['https://e.com/books/{id}'],
      claims: { subscribe: ['https://e.com/users/bar/{?topic}'] },
    });
    const all = hub.subscribe({ topics: ['*'], claims: { subscribe: ['*'] } });
    // Authorized, but not subscribed to any of its topics: nothing.
    const notSubscribed = hub.subscribe({
      topics: ['https://e.com/x'],
      claims: { subscribe: ['*'] },
    });
    // [spec] canonical topic matched by the subscription, alternate topic by the claim.
    await hub.publish({
      topics: [
        'https://e.com/books/1',
        `https://e.com/users/foo/?topic=${encodeURIComponent('https://e.com/books/1')}`,
      ],
      data: 'private',
      private: true,
    });
    await hub.publish({ topics: 'https://e.com/books/2', data: 'public' });
    await hub.publish({ topics: 'https://e.com/x', data: 'x' });
    const data = async (sub: AsyncIterator<Update>, n: number) =>
      (await take(sub, n)).map((u) => u.data);
    assert.deepEqual(await data(anonymous, 2), ['public', 'x']);
    assert.deepEqual(await data(allowed, 2), ['private', 'public']);
    assert.deepEqual(await data(wrongClaims, 1), ['public']);
    assert.deepEqual(await data(all, 3), ['private', 'public', 'x']);
    assert.deepEqual(await data(notSubscribed, 1), ['x']);
    await hub.close();
  });

  void it('break in for-await closes the subscription', async () => {
    const hub = createHub();
    const sub = hub.subscribe({ topics: ['a'] });
    await hub.publish({ topics: 'a', data: '1' });
    for await (const update of sub) {
      assert.equal(update.data, '1');
      break;
    }
    assert.equal(hub.subscriberCount, 0);
    assert.equal(hub.stats.disconnects.server, 1);
    await hub.close();
  });

  void it('a consumer that does not read is cut off (bounded), after what was queued', async () => {
    const hub = createHub({ maxBufferedBytes: 1000 });
    const sub = hub.subscribe({ topics: ['a'] });
    for (let i = 0; i < 50; i++)
      await hub.publish({ topics: 'a', id: `u${i}`, data: 'x'.repeat(90) });
    assert.equal(hub.subscriberCount, 0);
    assert.equal(hub.stats.disconnects['slow-consumer'], 1);
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const u of sub) got.push(u.id);
      })(),
      rejectsWith('SSE_ERR_SLOW_CONSUMER'),
    );
    assert.ok(got.length > 0 && got.length < 50);
    assert.deepEqual(
      got,
      got.map((_, i) => `u${i}`),
    );
    // Resume from the last id seen: the rest comes from history.
    const resumed = hub.subscribe({ topics: ['a'], lastEventId: got.at(-1) });
    const rest = await take(resumed, 50 - got.length);
    assert.deepEqual(
      [...got, ...rest.map((u) => u.id)],
      Array.from({ length: 50 }, (_, i) => `u${i}`),
    );
    await hub.close();
  });
});

void describe('replay (Mercure "Reconciliation")', () => {
  async function seeded() {
    const hub = createHub({ historySize: 100 });
    for (let i = 1; i <= 5; i++) {
      await hub.publish({ topics: i % 2 === 0 ? 'even' : 'odd', id: `u${i}`, data: String(i) });
    }
    return hub;
  }

  void it('replays every matching update after lastEventId, then live ones', async () => {
    const hub = await seeded();
    const sub = hub.subscribe({ topics: ['odd', 'even'], lastEventId: 'u2' });
    assert.deepEqual(await sub.ready, { lastEventId: 'u2' });
    await hub.publish({ topics: 'odd', id: 'u6', data: '6' });
    assert.deepEqual(
      (await take(sub, 4)).map((u) => u.id),
      ['u3', 'u4', 'u5', 'u6'],
    );
    const onlyEven = hub.subscribe({ topics: ['even'], lastEventId: 'u1' });
    assert.deepEqual(
      (await take(onlyEven, 2)).map((u) => u.id),
      ['u2', 'u4'],
    );
    await hub.close();
  });

  void it('earliest replays the whole history', async () => {
    const hub = await seeded();
    const sub = hub.subscribe({ topics: ['*'], lastEventId: 'earliest' });
    assert.deepEqual(await sub.ready, { lastEventId: 'earliest' });
    assert.deepEqual(
      (await take(sub, 5)).map((u) => u.id),
      ['u1', 'u2', 'u3', 'u4', 'u5'],
    );
    await hub.close();
  });

  void it('an unknown id replays nothing and reports earliest', async () => {
    const hub = await seeded();
    const sub = hub.subscribe({ topics: ['*'], lastEventId: 'never-published' });
    assert.deepEqual(await sub.ready, { lastEventId: 'earliest' });
    await hub.publish({ topics: 'odd', id: 'live' });
    assert.deepEqual(
      (await take(sub, 1)).map((u) => u.id),
      ['live'],
    );
    await hub.close();
  });

  void it('replays private updates only to authorized subscribers', async () => {
    const hub = createHub();
    await hub.publish({ topics: 't', id: 'p', private: true });
    await hub.publish({ topics: 't', id: 'q' });
    const anonymous = hub.subscribe({ topics: ['t'], lastEventId: 'earliest' });
    const authorized = hub.subscribe({
      topics: ['t'],
      lastEventId: 'earliest',
      claims: { subscribe: ['t'] },
    });
    assert.deepEqual(
      (await take(anonymous, 1)).map((u) => u.id),
      ['q'],
    );
    assert.deepEqual(
      (await take(authorized, 2)).map((u) => u.id),
      ['p', 'q'],
    );
    await hub.close();
  });

  void it('no gap and no duplicate when updates are published during the history read', async () => {
    // A transport whose history() answers late, after more updates were
    // dispatched: those are both in the answer and delivered live.
    const { createMemoryTransport } = await import('../../src/hub/memory-transport.js');
    const inner = createMemoryTransport();
    let gate: (() => void) | undefined;
    const slow: Transport = {
      dispatch: (u) => inner.dispatch(u),
      subscribe: (l) => inner.subscribe(l),
      livePosition: () => inner.livePosition(),
      history: async (after) => {
        await new Promise<void>((resolve) => (gate = resolve));
        return inner.history(after);
      },
      lastEventId: () => inner.lastEventId(),
      close: () => inner.close(),
    };
    const hub = createHub({ transport: slow });
    for (let i = 0; i < 3; i++) await hub.publish({ topics: 't', id: `h${i}` });
    const sub = hub.subscribe({ topics: ['t'], lastEventId: 'h0' });
    for (let i = 0; i < 3; i++) await hub.publish({ topics: 't', id: `live${i}` });
    assert.ok(gate, 'history() was called');
    gate();
    for (let i = 3; i < 5; i++) await hub.publish({ topics: 't', id: `live${i}` });
    const ids = (await take(sub, 7)).map((u) => u.id);
    assert.deepEqual(ids, ['h1', 'h2', 'live0', 'live1', 'live2', 'live3', 'live4']);
    await hub.close();
  });
});
