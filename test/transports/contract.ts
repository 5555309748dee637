/**
 * The transport contract: what the hub may rely on from any {@link Transport}.
 * One suite, run unchanged against every transport (memory, Redis).
 *
 * Delivery may be synchronous (memory: before `dispatch()` settles) or
 * asynchronous (Redis: by a reader, after `dispatch()` resolved), so the
 * suite waits for listeners with a bounded poll, never a fixed sleep.
 *
 * History trimming is phrased so both transports pass honestly: a transport
 * created with `historySize: N` keeps at least the newest N updates (memory:
 * exactly N; Redis: N to N + 99 between trims), never more than N + 100,
 * always a contiguous, newest-last suffix; ids trimmed away are `found: false`.
 * `historyBytes` bounds the bytes the same way (`updateSize`).
 *
 * History is read through the paged API (`history({ after, upTo, limit,
 * maxBytes })`), in small pages (`test/helpers/history.ts`).
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { updateSize, type Transport, type Update } from '../../src/hub/types.js';
import { readHistory } from '../helpers/history.js';

/** Makes a fresh, empty transport, isolated from every other one. */
export type TransportFactory = (options: {
  historySize: number;
  historyBytes?: number | undefined;
}) => Promise<Transport>;

export interface ContractOptions {
  /** Suite name, e.g. `memory transport`. */
  name: string;
  factory: TransportFactory;
  /** Called after each test with the transports it made (closed already). */
  cleanup?: (() => Promise<void>) | undefined;
  /** Skip the whole suite, saying why. */
  skip?: string | undefined;
}

/** Polls `condition` every few ms until true; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function update(id: string, overrides: Partial<Update> = {}): Update {
  return {
    id,
    topics: ['https://example.com/t'],
    data: `data of ${id}`,
    type: undefined,
    retry: undefined,
    private: false,
    ...overrides,
  };
}

async function historyIds(t: Transport, after: string) {
  const { found, ids } = await readHistory(t, after);
  return { found, ids };
}

async function historyOf(t: Transport, after: string): Promise<Update[]> {
  return (await readHistory(t, after)).updates;
}

/** Subscribes a listener to `t`; returns the array of what it sees. */
export function listen(t: Transport): Update[] {
  const seen: Update[] = [];
  t.subscribe((u) => seen.push(u));
  return seen;
}

/** Subscribes a listener to `t`; returns what it sees with positions. */
function listenWithPositions(t: Transport): { update: Update; position: string }[] {
  const seen: { update: Update; position: string }[] = [];
  t.subscribe((update, position) => seen.push({ update, position }));
  return seen;
}

/** Registers the contract suite for one transport. */
export function transportContract(options: ContractOptions): void {
  void describe(`${options.name}: transport contract`, { skip: options.skip ?? false }, () => {
    const open: Transport[] = [];
    async function make(historySize = 1000, historyBytes?: number): Promise<Transport> {
      const t = await options.factory({ historySize, historyBytes });
      open.push(t);
      return t;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
      await options.cleanup?.();
    });
    after(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    });

    void it('an empty transport: no lastEventId, empty earliest history', async () => {
      const t = await make();
      assert.equal(await t.lastEventId(), undefined);
      assert.deepEqual(await historyIds(t, 'earliest'), { found: true, ids: [] });
    });

    void it('the listener sees updates in dispatch order, each once, already in history', async () => {
      const t = await make();
      const ids: string[] = [];
      const inHistoryWhenSeen: Promise<boolean>[] = [];
      t.subscribe((u) => {
        ids.push(u.id);
        inHistoryWhenSeen.push(
          readHistory(t, 'earliest').then((h) => h.updates.some((s) => s.id === u.id)),
        );
      });
      for (let i = 0; i < 20; i++) await t.dispatch(update(`o${i}`));
      await waitFor(() => ids.length >= 20, '20 deliveries');
      assert.deepEqual(
        ids,
        Array.from({ length: 20 }, (_, i) => `o${i}`),
      );
      assert.ok((await Promise.all(inHistoryWhenSeen)).every(Boolean));
    });

    void it('history(afterId) replays what came after it; earliest replays everything', async () => {
      const t = await make();
      for (const id of ['a', 'b', 'c', 'd']) await t.dispatch(update(id));
      assert.deepEqual(await historyIds(t, 'b'), { found: true, ids: ['c', 'd'] });
      assert.deepEqual(await historyIds(t, 'd'), { found: true, ids: [] });
      assert.deepEqual(await historyIds(t, 'earliest'), { found: true, ids: ['a', 'b', 'c', 'd'] });
      assert.equal(await t.lastEventId(), 'd');
    });

    void it('an unknown id is found: false with no updates', async () => {
      const t = await make();
      assert.deepEqual(await historyIds(t, 'never-seen'), { found: false, ids: [] });
      await t.dispatch(update('x'));
      assert.deepEqual(await historyIds(t, 'never-seen'), { found: false, ids: [] });
      assert.deepEqual(await historyIds(t, ''), { found: false, ids: [] });
    });

    void it('every field round-trips exactly, private flag included (live and in history)', async () => {
      const t = await make();
      const seen = listen(t);
      const samples: Update[] = [
        update('urn:uuid:5f1c0f0e-1', {
          topics: ['https://example.com/books/1', 'https://example.com/users/{id}'],
          data: 'line 1\nline 2\r\nline 3\rend',
          type: 'book.updated',
          retry: 2500,
          private: true,
        }),
        update('empty', { data: '', private: false }),
        update('unicode ✓ 名前 🎉', { data: 'héllo 🌍 名前\u0000nul', topics: ['tópico'] }),
        update('zero-retry', { retry: 0, type: '' }),
        update('json-ish', { data: '{"a":[1,2,"x\\ny"]}', topics: ['["not","json"]'] }),
      ];
      for (const u of samples) await t.dispatch(u);
      await waitFor(() => seen.length >= samples.length, 'all samples delivered');
      assert.deepEqual(seen, samples);
      assert.deepEqual(await historyOf(t, 'earliest'), samples);
      assert.deepEqual(await historyOf(t, 'empty'), samples.slice(2));
      const first = seen[0];
      assert.ok(first !== undefined && 'type' in first && 'retry' in first);
      assert.equal(seen[1]?.type, undefined);
      assert.equal(seen[1]?.retry, undefined);
    });

    void it('concurrent publishers: every dispatch is stored once, listener order = history order', async () => {
      const t = await make();
      const seen = listen(t);
      const second = listen(t);
      const n = 200;
      await Promise.all(Array.from({ length: n }, (_, i) => t.dispatch(update(`c${i}`))));
      await waitFor(() => seen.length >= n && second.length >= n, `${n} deliveries`);
      const historyOrder = (await historyOf(t, 'earliest')).map((u) => u.id);
      assert.equal(historyOrder.length, n);
      assert.equal(new Set(historyOrder).size, n);
      assert.deepEqual(
        seen.map((u) => u.id),
        historyOrder,
      );
      assert.deepEqual(
        second.map((u) => u.id),
        historyOrder,
      );
      assert.equal(await t.lastEventId(), historyOrder.at(-1));
    });

    void it('history keeps at least the newest historySize updates and at most 100 more', async () => {
      const size = 50;
      const total = 400;
      const t = await make(size);
      for (let i = 0; i < total; i++) await t.dispatch(update(`h${i}`));
      const kept = (await historyIds(t, 'earliest')).ids;
      assert.ok(kept.length >= size, `kept ${kept.length} < ${size}`);
      assert.ok(kept.length <= size + 100, `kept ${kept.length} > ${size + 100}`);
      // A contiguous suffix, newest last.
      const firstKept = total - kept.length;
      assert.deepEqual(
        kept,
        Array.from({ length: kept.length }, (_, i) => `h${firstKept + i}`),
      );
      // Trimmed ids are unknown; kept ones resume exactly after themselves.
      assert.deepEqual(await historyIds(t, 'h0'), { found: false, ids: [] });
      assert.deepEqual(await historyIds(t, `h${firstKept - 1}`), { found: false, ids: [] });
      assert.deepEqual(await historyIds(t, `h${total - 3}`), {
        found: true,
        ids: [`h${total - 2}`, `h${total - 1}`],
      });
      // A trimmed id may be used again, and then names the new update.
      await t.dispatch(update('h0'));
      assert.equal(await t.lastEventId(), 'h0');
      assert.deepEqual(await historyIds(t, 'h0'), { found: true, ids: [] });
    });

    void it('a reused id is stored and delivered; the id resolves to its earliest occurrence', async () => {
      const t = await make();
      const seen = listen(t);
      await t.dispatch(update('dup', { data: 'first' }));
      await t.dispatch(update('between'));
      await t.dispatch(update('dup', { data: 'second' }));
      await t.dispatch(update('after'));
      await waitFor(() => seen.length >= 4, 'four deliveries');
      assert.deepEqual(
        seen.map((u) => [u.id, u.data]),
        [
          ['dup', 'first'],
          ['between', 'data of between'],
          ['dup', 'second'],
          ['after', 'data of after'],
        ],
      );
      assert.deepEqual(await historyIds(t, 'dup'), {
        found: true,
        ids: ['between', 'dup', 'after'],
      });
      const page = await t.history({
        after: { id: 'dup' },
        upTo: t.livePosition(),
        limit: 10,
        maxBytes: 1e9,
      });
      assert.equal(page.afterUpdate?.data, 'first');
    });

    void it('positions grow in delivery order; livePosition is the last one delivered', async () => {
      const t = await make();
      const seen = listenWithPositions(t);
      for (let i = 0; i < 12; i++) await t.dispatch(update(`p${i}`));
      await waitFor(() => seen.length >= 12, '12 deliveries');
      const positions = seen.map((s) => s.position);
      for (let i = 1; i < positions.length; i++) {
        assert.ok(
          (positions[i - 1] as string) < (positions[i] as string),
          `${positions[i - 1]} < ${positions[i]}`,
        );
      }
      assert.equal(t.livePosition(), positions.at(-1));
      const byId = await t.history({
        after: { id: 'p4' },
        upTo: t.livePosition(),
        limit: 100,
        maxBytes: 1e9,
      });
      assert.equal(byId.afterPosition, positions[4]);
      assert.equal(byId.afterUpdate?.id, 'p4');
    });

    void it('pages: limit, byte bound with at least one update, upTo excludes later updates', async () => {
      const t = await make();
      const seen = listenWithPositions(t);
      for (let i = 0; i < 6; i++) await t.dispatch(update(`q${i}`, { data: 'x'.repeat(100) }));
      await waitFor(() => seen.length >= 6, '6 deliveries');
      const upTo = seen[3]?.position as string;
      const first = await t.history({ after: 'earliest', upTo, limit: 3, maxBytes: 1e9 });
      assert.deepEqual(
        first.updates.map((u) => u.id),
        ['q0', 'q1', 'q2'],
      );
      assert.equal(first.next, seen[2]?.position);
      const rest = await t.history({
        after: { position: first.next as string },
        upTo,
        limit: 3,
        maxBytes: 1e9,
      });
      assert.deepEqual(
        rest.updates.map((u) => u.id),
        ['q3'],
      );
      assert.equal(rest.next, undefined, 'the page reached upTo');
      const small = await t.history({ after: 'earliest', upTo, limit: 10, maxBytes: 150 });
      assert.deepEqual(
        small.updates.map((u) => u.id),
        ['q0'],
        'one update at least, then the bound',
      );
      assert.equal(small.next, seen[0]?.position);
    });

    void it('a page after a position that history moved past is found: false', async () => {
      const t = await make(20);
      const seen = listenWithPositions(t);
      await t.dispatch(update('old0'));
      await t.dispatch(update('old1'));
      await waitFor(() => seen.length >= 2, 'two deliveries');
      const cursor = seen[0]?.position as string;
      for (let i = 0; i < 200; i++) await t.dispatch(update(`new${i}`));
      await waitFor(() => seen.length >= 202, 'all deliveries');
      const page = await t.history({
        after: { position: cursor },
        upTo: t.livePosition(),
        limit: 10,
        maxBytes: 1e9,
      });
      assert.equal(page.found, false);
      assert.deepEqual(page.updates, []);
    });

    void it('history is bounded by bytes: the oldest go first', async () => {
      const one = updateSize(update('b000', { data: 'y'.repeat(200) }));
      const t = await make(1000, one * 10);
      for (let i = 0; i < 50; i++) {
        await t.dispatch(update(`b${String(i).padStart(3, '0')}`, { data: 'y'.repeat(200) }));
      }
      const kept = (await historyIds(t, 'earliest')).ids;
      assert.ok(kept.length <= 10, `kept ${kept.length} > 10`);
      assert.ok(kept.length >= 9, `kept ${kept.length} < 9`);
      assert.equal(kept.at(-1), 'b049');
      assert.deepEqual(await historyIds(t, 'b000'), { found: false, ids: [] });
    });

    void it('lastEventId() is the newest id; unsubscribe stops delivery', async () => {
      const t = await make();
      const seen: string[] = [];
      const stop = t.subscribe((u) => seen.push(u.id));
      const witness = listen(t);
      await t.dispatch(update('one'));
      await waitFor(() => seen.length >= 1, 'first delivery');
      assert.equal(await t.lastEventId(), 'one');
      stop();
      await t.dispatch(update('two'));
      await waitFor(() => witness.length >= 2, 'the other listener got the second');
      assert.deepEqual(seen, ['one']);
      assert.equal(await t.lastEventId(), 'two');
    });
  });
}
