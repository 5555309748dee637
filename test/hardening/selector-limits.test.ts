/**
 * Findings 1 and 4: selectors are bounded and matching cost does not depend
 * on cache luck.
 *
 * - A selector longer than the limit is refused with 400 naming the limit
 *   (it used to be accepted and compiled).
 * - 200 subscribers × 100 distinct `…/{id}` templates (20,000, more than the
 *   old 10,000-entry compile cache, which thrashed: every publish recompiled
 *   templates, 550–680 ms each): each distinct selector is compiled once
 *   while held and released when its last subscriber leaves, and a publish
 *   tests only the templates whose literal prefix the topic starts with —
 *   counted by `hub.stats.selectors`, not timed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import { startHub } from '../hub-server/helpers.js';

void describe('selector limits and the selector index', () => {
  void it('a selector over maxTopicLength is refused with 400 naming the limit', async () => {
    const hub = await startHub({ anonymous: true });
    try {
      const long = `https://example.com/${'a'.repeat(2100)}/{id}`;
      const res = await fetch(`${hub.hubUrl}?topic=${encodeURIComponent(long)}`);
      assert.equal(res.status, 400);
      assert.equal(await res.text(), '"topic" is longer than 2048 characters\n');
      const atLimit = `https://example.com/${'b'.repeat(2048 - 25)}/{id}`;
      assert.equal(atLimit.length, 2048);
      const abort = new AbortController();
      const ok = await fetch(`${hub.hubUrl}?topic=${encodeURIComponent(atLimit)}`, {
        signal: abort.signal,
      });
      assert.equal(ok.status, 200);
      abort.abort();
    } finally {
      await hub.close();
    }
  });

  void it('20,000 distinct templates: compiled once while held, a publish tests only matching prefixes', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const subscriptions = Array.from({ length: 200 }, (_, s) =>
      hub.subscribe({
        topics: Array.from({ length: 100 }, (_, k) => `https://e.com/c${s}/s${k}/{id}`),
      }),
    );
    await Promise.all(subscriptions.map((sub) => sub.ready));
    assert.equal(hub.stats.selectors.compiled, 20_000);
    const before = hub.stats.selectors.templatesTested;
    for (let i = 0; i < 50; i++) await hub.publish({ topics: `https://e.com/c7/s42/${i}` });
    const tested = hub.stats.selectors.templatesTested - before;
    // One template has the topic's prefix; none of the 19,999 others is tested.
    assert.equal(tested, 50);
    const first = await subscriptions[7]?.next();
    assert.ok(first !== undefined && first.done !== true);
    assert.equal(first.value.topics[0], 'https://e.com/c7/s42/0');
    for (const sub of subscriptions) sub.close();
    assert.equal(hub.stats.selectors.compiled, 0, 'released with their subscribers');
    await hub.close();
  });

  void it('a shared selector is compiled once for all its subscribers', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const subs = Array.from({ length: 500 }, () =>
      hub.subscribe({ topics: ['https://e.com/books/{id}'], claims: { subscribe: ['*'] } }),
    );
    assert.equal(hub.stats.selectors.compiled, 2); // the template and `*`
    await hub.publish({ topics: 'https://e.com/books/1', private: true });
    assert.equal(hub.stats.selectors.templatesTested, 1);
    for (const sub of subs) sub.close();
    assert.equal(hub.stats.selectors.compiled, 0);
    await hub.close();
  });
});
