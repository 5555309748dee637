/**
 * The primary transport beyond the contract: two workers on one primary see
 * one order; a worker's publish is answered after the primary stored it and
 * after the worker saw it live; the primary's refusals keep their code; the
 * link gone, calls reject as unavailable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import { isSseError } from '../../src/protocol/sse-error.js';
import type { Transport } from '../../src/hub/types.js';
import { createFileTransport } from '../../src/transports/file.js';
import { channelPair, connectWorkerTransport, servePrimary } from '../../src/transports/primary.js';
import { readHistory } from '../helpers/history.js';
import { update, waitFor } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'ssehub-primary-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cluster(workers: number, real: Transport = createMemoryTransport()) {
  const server = servePrimary(real);
  const pairs = Array.from({ length: workers }, () => channelPair());
  for (const pair of pairs) server.attach(pair.primary);
  const transports = await Promise.all(pairs.map((pair) => connectWorkerTransport(pair.worker)));
  cleanups.push(async () => {
    for (const t of transports) await t.close();
    server.close();
    for (const pair of pairs) pair.close();
    await real.close();
  });
  return { server, pairs, transports, real };
}

void describe('primary transport', () => {
  void it('two workers publishing at once: both see every update once, in the primary order', async () => {
    const { transports, real, server } = await cluster(2);
    assert.equal(server.workers, 2);
    const [a, b] = transports as [Transport, Transport];
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.subscribe((u) => seenA.push(u.id));
    b.subscribe((u) => seenB.push(u.id));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).dispatch(update(`u${i}`))),
    );
    await waitFor(() => seenA.length === 100 && seenB.length === 100, '100 deliveries each');
    const primaryOrder = (await readHistory(real, 'earliest')).ids;
    assert.equal(new Set(primaryOrder).size, 100);
    assert.deepEqual(seenA, primaryOrder);
    assert.deepEqual(seenB, primaryOrder);
    assert.equal(a.livePosition(), real.livePosition());
    assert.equal(b.livePosition(), real.livePosition());
  });

  for (const kind of ['memory', 'file'] as const) {
    void it(`dispatch resolves after the ${kind} primary stored it and after this worker saw it live`, async () => {
      const real =
        kind === 'memory'
          ? createMemoryTransport()
          : await createFileTransport({ path: join(root, `ack-${Date.now()}`) });
      const { transports } = await cluster(1, real);
      const [t] = transports as [Transport];
      const seen: string[] = [];
      t.subscribe((u) => seen.push(u.id));
      for (let i = 0; i < 5; i++) {
        await t.dispatch(update(`acked${i}`));
        // The file transport resolves its own dispatch once the commit is synced.
        assert.equal(
          await real.lastEventId(),
          `acked${i}`,
          'stored in the primary before the answer',
        );
        assert.equal(seen.at(-1), `acked${i}`, 'delivered live before the answer');
      }
    });
  }

  void it('a worker joining later starts live at the primary position and replays from it', async () => {
    const real = createMemoryTransport();
    const first = await cluster(1, real);
    const [early] = first.transports as [Transport];
    await early.dispatch(update('before'));
    const server = servePrimary(real);
    const pair = channelPair();
    server.attach(pair.primary);
    const late = await connectWorkerTransport(pair.worker);
    cleanups.push(async () => {
      await late.close();
      server.close();
      pair.close();
    });
    assert.equal(late.livePosition(), real.livePosition());
    const seen: string[] = [];
    late.subscribe((u) => seen.push(u.id));
    await early.dispatch(update('after'));
    await waitFor(() => seen.length === 1, 'the live update');
    assert.deepEqual(seen, ['after']);
    assert.deepEqual((await readHistory(late, 'before')).ids, ['after']);
  });

  void it("the primary's refusal keeps its code; a closed primary transport is unavailable", async () => {
    const { transports, real } = await cluster(1);
    const [t] = transports as [Transport];
    await real.close();
    await assert.rejects(t.dispatch(update('x')), (error: unknown) =>
      isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
  });

  void it('the link gone: waiting and later calls reject as unavailable, reachable() is false', async () => {
    const { transports, pairs } = await cluster(1);
    const [t] = transports as [Transport];
    const reachable = (): boolean | undefined => t.reachable?.();
    assert.equal(reachable(), true);
    const waiting = t.history({ after: 'earliest', limit: 10, maxBytes: 1e6 });
    (pairs[0] as ReturnType<typeof channelPair>).close();
    await assert.rejects(waiting, (error: unknown) =>
      isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
    assert.equal(reachable(), false);
    await assert.rejects(t.dispatch(update('y')), (error: unknown) =>
      isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
  });

  void it('history figures come from the primary', async () => {
    const { transports } = await cluster(1);
    const [t] = transports as [Transport];
    assert.deepEqual(t.historyStats?.(), { count: 0, bytes: 0 });
    assert.equal(
      typeof t.appendLatency,
      'undefined',
      'the memory transport does not measure appends',
    );
  });
});
