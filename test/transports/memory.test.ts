/**
 * The memory transport: ring buffer bounded by count and bytes, O(1) lookup
 * by id, listeners called after storing, duplicate ids refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSseError } from '../../src/protocol/sse-error.js';
import type { Update } from '../../src/hub/types.js';
import { createMemoryTransport, updateSize } from '../../src/transports/memory.js';

function update(id: string, data = 'x', topic = 't'): Update {
  return { id, topics: [topic], data, type: undefined, retry: undefined, private: false };
}

async function ids(transport: ReturnType<typeof createMemoryTransport>, after: string) {
  const { found, updates } = await transport.history(after);
  return { found, ids: updates.map((u) => u.id) };
}

void describe('createMemoryTransport', () => {
  void it('keeps the last historySize updates (count bound)', async () => {
    const t = createMemoryTransport({ historySize: 3 });
    for (let i = 1; i <= 5; i++) await t.dispatch(update(String(i)));
    assert.deepEqual(await ids(t, 'earliest'), { found: true, ids: ['3', '4', '5'] });
    assert.deepEqual(await ids(t, '3'), { found: true, ids: ['4', '5'] });
    assert.deepEqual(await ids(t, '5'), { found: true, ids: [] });
    // Evicted and never-seen ids are both unknown.
    assert.deepEqual(await ids(t, '1'), { found: false, ids: [] });
    assert.deepEqual(await ids(t, 'nope'), { found: false, ids: [] });
    assert.equal(await t.lastEventId(), '5');
    assert.equal(t.historyStats?.().count, 3);
  });

  void it('keeps at most historyBytes (byte bound), evicting the oldest', async () => {
    const one = updateSize(update('1', 'a'.repeat(100)));
    const t = createMemoryTransport({ historySize: 100, historyBytes: one * 2 + 10 });
    for (let i = 1; i <= 4; i++) await t.dispatch(update(String(i), 'a'.repeat(100)));
    assert.deepEqual((await ids(t, 'earliest')).ids, ['3', '4']);
    assert.ok((t.historyStats?.().bytes ?? Infinity) <= one * 2 + 10);
    // An update larger than the whole budget is delivered but not kept.
    const seen: string[] = [];
    t.subscribe((u) => seen.push(u.id));
    await t.dispatch(update('big', 'b'.repeat(one * 3)));
    assert.deepEqual(seen, ['big']);
    assert.deepEqual((await ids(t, 'earliest')).ids, ['3', '4']);
  });

  void it('wraps around the ring many times and still finds ids in O(1)', async () => {
    const t = createMemoryTransport({ historySize: 7 });
    for (let i = 0; i < 1000; i++) await t.dispatch(update(`u${i}`));
    assert.deepEqual((await ids(t, 'u995')).ids, ['u996', 'u997', 'u998', 'u999']);
    assert.equal(t.historyStats?.().count, 7);
  });

  void it('historySize 0 keeps nothing', async () => {
    const t = createMemoryTransport({ historySize: 0 });
    await t.dispatch(update('1'));
    assert.deepEqual(await ids(t, 'earliest'), { found: true, ids: [] });
    assert.deepEqual(await ids(t, '1'), { found: false, ids: [] });
  });

  void it('stores before notifying listeners, in order; unsubscribe works', async () => {
    const t = createMemoryTransport();
    const seen: [string, boolean][] = [];
    const off = t.subscribe((u) => {
      // The update is already in history when the listener runs.
      void t.history(u.id).then((h) => seen.push([u.id, h.found]));
    });
    await t.dispatch(update('a'));
    await t.dispatch(update('b'));
    off();
    await t.dispatch(update('c'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [
      ['a', true],
      ['b', true],
    ]);
  });

  void it('refuses an id still in history, storing nothing', async () => {
    const t = createMemoryTransport({ historySize: 2 });
    await t.dispatch(update('a'));
    await assert.rejects(
      t.dispatch(update('a', 'again')),
      (e) => isSseError(e, 'SSE_ERR_INVALID_FIELD') && e.field === 'id',
    );
    assert.deepEqual((await ids(t, 'earliest')).ids, ['a']);
    // Once evicted, an id may be used again.
    await t.dispatch(update('b'));
    await t.dispatch(update('c'));
    await t.dispatch(update('a'));
    assert.deepEqual((await ids(t, 'earliest')).ids, ['c', 'a']);
  });

  void it('rejects dispatch after close; validates options', async () => {
    const t = createMemoryTransport();
    await t.close();
    await assert.rejects(t.dispatch(update('x')), (e) =>
      isSseError(e, 'SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
    assert.throws(
      () => createMemoryTransport({ historySize: -1 }),
      (e) => isSseError(e, 'SSE_ERR_INVALID_OPTION') && e.field === 'historySize',
    );
    assert.throws(
      () => createMemoryTransport({ historyBytes: 1.5 }),
      (e) => isSseError(e, 'SSE_ERR_INVALID_OPTION') && e.field === 'historyBytes',
    );
  });
});
