/**
 * The memory transport: history bounded by count and bytes, O(1) lookup by
 * id (reused ids resolve to their earliest occurrence), listeners called
 * after storing, paged reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSseError } from '../../src/protocol/sse-error.js';
import { updateSize, type Update } from '../../src/hub/types.js';
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import { readHistory } from '../helpers/history.js';

function update(id: string, data = 'x', topic = 't'): Update {
  return { id, topics: [topic], data, type: undefined, retry: undefined, private: false };
}

async function ids(transport: ReturnType<typeof createMemoryTransport>, after: string) {
  const { found, ids } = await readHistory(transport, after);
  return { found, ids };
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
      void readHistory(t, u.id).then((h) => seen.push([u.id, h.found]));
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

  void it('stores a reused id; an id resolves to its earliest retained occurrence', async () => {
    const t = createMemoryTransport({ historySize: 3 });
    await t.dispatch(update('a', '1'));
    await t.dispatch(update('b'));
    await t.dispatch(update('a', '2'));
    assert.deepEqual((await ids(t, 'earliest')).ids, ['a', 'b', 'a']);
    assert.deepEqual((await ids(t, 'a')).ids, ['b', 'a']);
    // The first `a` evicted: the id now names the second one.
    await t.dispatch(update('c'));
    assert.deepEqual((await ids(t, 'a')).ids, ['c']);
    // Both gone: unknown.
    await t.dispatch(update('d'));
    await t.dispatch(update('e'));
    assert.deepEqual(await ids(t, 'a'), { found: false, ids: [] });
  });

  void it('pages: limit, byte bound (one update at least), upTo, positions in order', async () => {
    const t = createMemoryTransport();
    const positions: string[] = [];
    t.subscribe((_u, position) => positions.push(position));
    for (let i = 0; i < 5; i++) await t.dispatch(update(String(i), 'x'.repeat(10)));
    assert.deepEqual([...positions].sort(), positions, 'positions grow as strings');
    assert.equal(t.livePosition(), positions.at(-1));
    const upTo = positions[3] as string; // '0'..'3' are history, '4' came later
    const first = await t.history({ after: 'earliest', upTo, limit: 2, maxBytes: 1e9 });
    assert.deepEqual(
      first.updates.map((u) => u.id),
      ['0', '1'],
    );
    assert.equal(first.next, positions[1]);
    const second = await t.history({
      after: { position: first.next as string },
      upTo,
      limit: 2,
      maxBytes: 1e9,
    });
    assert.deepEqual(
      second.updates.map((u) => u.id),
      ['2', '3'],
    );
    assert.equal(second.next, undefined, 'upTo reached');
    const tiny = await t.history({ after: 'earliest', upTo, limit: 10, maxBytes: 1 });
    assert.deepEqual(
      tiny.updates.map((u) => u.id),
      ['0'],
      'one update even over maxBytes',
    );
    const byId = await t.history({ after: { id: '1' }, upTo, limit: 10, maxBytes: 1e9 });
    assert.equal(byId.afterPosition, positions[1]);
    assert.equal(byId.afterUpdate?.id, '1');
  });

  void it('a position whose successor was evicted is found: false', async () => {
    const t = createMemoryTransport({ historySize: 2 });
    const positions: string[] = [];
    t.subscribe((_u, position) => positions.push(position));
    for (let i = 0; i < 2; i++) await t.dispatch(update(String(i)));
    const cursor = positions[0] as string;
    for (let i = 2; i < 4; i++) await t.dispatch(update(String(i)));
    const page = await t.history({
      after: { position: cursor },
      upTo: t.livePosition(),
      limit: 10,
      maxBytes: 1e9,
    });
    assert.deepEqual(page, { found: false, updates: [], next: undefined });
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
