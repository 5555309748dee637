/**
 * What only the Redis transport has: several transports (hub processes) on
 * one stream, the reader's start point, its resumption after its connection
 * is killed, and failing fast when Redis is unreachable.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { createHub } from '../../src/hub/hub.js';
import { isSseError } from '../../src/protocol/sse-error.js';
import type { Transport } from '../../src/hub/types.js';
import { createRedisTransport, type RedisTransportOptions } from '../../src/transports/redis.js';
import { listen, update, waitFor } from './contract.js';
import { within } from '../response/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
  type AdminClient,
} from './redis-helpers.js';
import { readHistory } from '../helpers/history.js';

const admin = await connectAdmin();
const prefixes: string[] = [];
const open: Transport[] = [];

after(async () => {
  await admin.client?.close();
});

function adminClient(): AdminClient {
  assert.ok(admin.client, admin.reason);
  return admin.client;
}

async function make(options: RedisTransportOptions = {}): Promise<Transport> {
  const t = await createRedisTransport({ url: REDIS_URL, connectTimeoutMs: 2000, ...options });
  open.push(t);
  return t;
}

/** `CLIENT LIST` ids of the connections named `name`. */
async function clientIds(name: string): Promise<string[]> {
  const list = await adminClient().sendCommand<string>(['CLIENT', 'LIST', 'TYPE', 'normal']);
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? '');
}

void describe('redis transport', { skip: skipReason(admin.reason) }, () => {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await deletePrefixes(adminClient(), prefixes);
  });

  void it('two transports on one prefix (two hubs) see the same updates in the same order', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const a = await make({ keyPrefix });
    const b = await make({ keyPrefix });
    const seenA = listen(a);
    const seenB = listen(b);
    const n = 100;
    await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).dispatch(update(`m${i}`))),
    );
    await waitFor(() => seenA.length >= n && seenB.length >= n, 'deliveries on both');
    const order = (await readHistory(a, 'earliest')).ids;
    assert.equal(order.length, n);
    assert.deepEqual(
      seenA.map((u) => u.id),
      order,
    );
    assert.deepEqual(
      seenB.map((u) => u.id),
      order,
    );
    // History and the id map are shared too: a reused id written by one
    // process still resolves to the earliest occurrence for the other.
    assert.deepEqual((await readHistory(b, 'm0')).found, true);
    await b.dispatch(update('m1', { data: 'again' }));
    assert.deepEqual(
      (await readHistory(a, 'm1')).ids,
      [...order.slice(order.indexOf('m1') + 1), 'm1'],
      'm1 names its first occurrence',
    );
  });

  void it('the dispatching process gets its own update object back (the hub encodes it once); others get an equal copy', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const a = await make({ keyPrefix });
    const b = await make({ keyPrefix });
    const seenA = listen(a);
    const seenB = listen(b);
    const sent = [update('own1'), update('own2')];
    for (const u of sent) await a.dispatch(u);
    await waitFor(() => seenA.length >= 2 && seenB.length >= 2, 'deliveries on both');
    assert.ok(seenA[0] === sent[0] && seenA[1] === sent[1], 'the same objects in the writer');
    assert.ok(seenB[0] !== sent[0], 'a copy in the other process');
    assert.deepEqual(seenB, sent);
  });

  void it('a transport started on an existing stream delivers only what comes after its start', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const a = await make({ keyPrefix });
    for (const id of ['old1', 'old2']) await a.dispatch(update(id));
    const b = await make({ keyPrefix });
    const seenB = listen(b);
    // Dispatched the moment the factory resolved: delivered (the reader's
    // start point was fixed before, not left to `$`).
    await b.dispatch(update('new1'));
    await a.dispatch(update('new2'));
    await waitFor(() => seenB.length >= 2, 'two deliveries');
    assert.deepEqual(
      seenB.map((u) => u.id),
      ['new1', 'new2'],
    );
    assert.deepEqual((await readHistory(b, 'earliest')).ids.length, 4);
  });

  void it('the reader resumes after its connection is killed: nothing skipped, nothing twice', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const errors: unknown[] = [];
    const t = await make({ keyPrefix, onError: (e) => errors.push(e) });
    const seen = listen(t);
    for (let i = 0; i < 5; i++) await t.dispatch(update(`before${i}`));
    await waitFor(() => seen.length >= 5, 'deliveries before the kill');

    const name = `ssehub-reader:${keyPrefix}`;
    const [readerId] = await clientIds(name);
    assert.ok(readerId !== undefined && readerId !== '', 'the reader connection is listed');
    await adminClient().sendCommand(['CLIENT', 'KILL', 'ID', readerId]);
    // Written while the reader is down or reconnecting (dispatch has its
    // own connection, which stays up).
    for (let i = 0; i < 20; i++) await t.dispatch(update(`during${i}`));

    await waitFor(() => seen.length >= 25, 'deliveries after the kill', 10_000);
    await t.dispatch(update('after'));
    await waitFor(() => seen.length >= 26, 'a delivery after resuming', 10_000);
    const expected = [
      ...Array.from({ length: 5 }, (_, i) => `before${i}`),
      ...Array.from({ length: 20 }, (_, i) => `during${i}`),
      'after',
    ];
    assert.deepEqual(
      seen.map((u) => u.id),
      expected,
    );
    assert.ok(errors.length > 0, 'the lost connection was reported');
    const [newId] = await clientIds(name);
    assert.ok(newId !== undefined && newId !== readerId, 'the reader reconnected');
  });

  void it('close() ends both connections; dispatch afterwards rejects as unavailable', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const t = await createRedisTransport({ url: REDIS_URL, keyPrefix });
    await t.close();
    await t.close();
    await waitFor(
      async () => (await clientIds(`ssehub-reader:${keyPrefix}`)).length === 0,
      'the reader connection gone',
    );
    await assert.rejects(t.dispatch(update('late')), (e: unknown) =>
      isSseError(e, 'SSE_ERR_TRANSPORT_UNAVAILABLE'),
    );
  });

  void it('two hubs on one prefix: a publish on one reaches a subscriber of the other, replay included', async () => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    const hubA = createHub({ transport: await make({ keyPrefix }) });
    const hubB = createHub({ transport: await make({ keyPrefix }) });
    try {
      const first = await hubA.publish({ topics: 'https://example.com/x', data: 'one' });
      const live = hubB.subscribe({ topics: ['https://example.com/x'] });
      await live.ready;
      await hubA.publish({ topics: 'https://example.com/x', data: 'two', id: 'two' });
      const got = await within(live.next(), 'the live update');
      assert.equal(got.done, false);
      assert.equal(got.value.id, 'two');
      const replay = hubB.subscribe({ topics: ['https://example.com/x'], lastEventId: first });
      const ready = await replay.ready;
      assert.equal(ready.lastEventId, first);
      const replayed = await within(replay.next(), 'the replay');
      if (replayed.done === true) assert.fail('the replay ended');
      assert.equal(replayed.value.id, 'two');
      live.close();
      replay.close();
    } finally {
      await hubA.close();
      await hubB.close();
    }
  });

  void it('rejects bad options', async () => {
    await assert.rejects(createRedisTransport({ historySize: 0 }), (e: unknown) =>
      isSseError(e, 'SSE_ERR_INVALID_OPTION'),
    );
    // Braces would split the two keys over Redis Cluster slots.
    for (const keyPrefix of ['}a', '{a}', '', 'has space']) {
      await assert.rejects(
        createRedisTransport({ keyPrefix }),
        (e: unknown) => isSseError(e, 'SSE_ERR_INVALID_OPTION') && e.field === 'keyPrefix',
        keyPrefix,
      );
    }
  });
});

void describe('redis transport without Redis', () => {
  void it('the factory rejects with SSE_ERR_TRANSPORT_UNAVAILABLE within connectTimeoutMs, password redacted', async () => {
    const started = Date.now();
    await assert.rejects(
      createRedisTransport({ url: 'redis://user:s3cret@127.0.0.1:1', connectTimeoutMs: 300 }),
      (e: unknown) =>
        isSseError(e, 'SSE_ERR_TRANSPORT_UNAVAILABLE') && !e.message.includes('s3cret'),
    );
    assert.ok(Date.now() - started < 5000);
  });
});
