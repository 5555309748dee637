/**
 * Fan-out mechanics: one encoded frame shared by every stream, coalesced
 * writes (one write per subscriber per flush), shared concatenations, the
 * slow-consumer cut-off. Streams over an in-memory connection so writes can
 * be counted exactly; one check over real HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import { SseStream } from '../../src/response/sse-stream.js';
import { MemoryConnection } from '../response/helpers.js';
import { SseClient, startHubServer, within } from './helpers.js';

function memoryStream(maxBufferedBytes?: number) {
  const connection = new MemoryConnection();
  const stream = new SseStream(connection, { heartbeatInterval: false, maxBufferedBytes });
  return { connection, stream };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

void describe('fan-out', () => {
  void it('coalesces a synchronous burst: 50 updates → one write per subscriber, in order', async () => {
    const hub = createHub();
    const subs = Array.from({ length: 3 }, () => memoryStream());
    for (const { stream } of subs) await hub.attach(stream, { topics: ['t'] });
    await nextTurn();
    const publishes = [];
    for (let i = 0; i < 50; i++)
      publishes.push(hub.publish({ topics: 't', id: `u${i}`, data: `${i}` }));
    await Promise.all(publishes);
    await nextTurn();
    for (const { connection } of subs) {
      assert.equal(connection.chunks.length, 1, 'one write for 50 frames');
      const ids = [...connection.text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
      assert.deepEqual(
        ids,
        Array.from({ length: 50 }, (_, i) => `u${i}`),
      );
    }
    // Subscribers that got the same frames share one concatenated Buffer.
    assert.equal(subs[0]?.connection.chunks[0], subs[1]?.connection.chunks[0]);
    assert.equal(subs[1]?.connection.chunks[0], subs[2]?.connection.chunks[0]);
    assert.equal(hub.stats.writes, 3);
    assert.equal(hub.stats.deliveries, 150);
    await hub.close();
  });

  void it('shares one encoded frame between all streams (encode once)', async () => {
    const hub = createHub();
    const subs = Array.from({ length: 4 }, () => memoryStream());
    for (const { stream } of subs) await hub.attach(stream, { topics: ['*'] });
    await hub.publish({ topics: 'x', data: 'once' });
    await nextTurn();
    const first = subs[0]?.connection.chunks[0];
    assert.ok(first instanceof Uint8Array);
    for (const { connection } of subs) assert.equal(connection.chunks[0], first);
    await hub.close();
  });

  void it('writes far fewer times than it delivers over real HTTP, all frames in order', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const server = await startHubServer(hub);
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => SseClient.open(server.port, '/?topic=t')),
    );
    const writesBefore = hub.stats.writes;
    for (let i = 0; i < 50; i++) void hub.publish({ topics: 't', id: `h${i}`, data: `${i}` });
    for (const client of clients) {
      await client.waitForEvents(50);
      assert.deepEqual(
        client.events.map((e) => e.lastEventId),
        Array.from({ length: 50 }, (_, i) => `h${i}`),
      );
    }
    const writes = hub.stats.writes - writesBefore;
    assert.ok(writes <= clients.length * 2, `${writes} writes for 250 deliveries`);
    for (const c of clients) c.close();
    await hub.close();
    await server.close();
  });

  void it('holds frames back while a socket is busy, then cuts a slow consumer off', async () => {
    const hub = createHub({ maxBufferedBytes: 2000 });
    const slow = memoryStream(2000);
    const fast = memoryStream(2000);
    await hub.attach(slow.stream, { topics: ['t'] });
    await hub.attach(fast.stream, { topics: ['t'] });
    // The slow client's socket has unsent bytes and does not drain.
    slow.connection.buffered = 1500;
    const data = 'x'.repeat(100);
    for (let i = 0; i < 5; i++) await hub.publish({ topics: 't', data });
    await nextTurn();
    // The fast client reads everything it gets (the in-memory socket drains).
    fast.connection.buffered = 0;
    // 1500 + ~600 would pass 2000: held back, nothing written yet.
    assert.equal(slow.connection.chunks.length, 0);
    assert.equal(slow.stream.closed, false);
    // More arrives while it is still stuck: past the bound, it is cut off.
    for (let i = 0; i < 30; i++) {
      await hub.publish({ topics: 't', data });
      await nextTurn();
      fast.connection.buffered = 0;
    }
    await within(
      (async () => {
        while (!slow.stream.closed) await nextTurn();
      })(),
      'the slow consumer to be cut off',
    );
    assert.equal(slow.stream.closeReason, 'slow-consumer');
    assert.equal(hub.stats.disconnects['slow-consumer'], 1);
    // The fast one got everything.
    assert.equal([...fast.connection.text.matchAll(/^data: /gm)].length, 35);
    assert.equal(fast.stream.closed, false);
    await hub.close();
  });

  void it('a held-back subscriber is retried when its socket drains, with no new publish', async () => {
    const hub = createHub({ maxBufferedBytes: 1000 });
    const s = memoryStream(1000);
    await hub.attach(s.stream, { topics: ['t'] });
    s.connection.buffered = 900;
    await hub.publish({ topics: 't', data: 'y'.repeat(200) });
    await nextTurn();
    assert.equal(s.connection.chunks.length, 0);
    s.connection.buffered = 0; // drained
    await within(
      (async () => {
        while (s.connection.chunks.length === 0) await new Promise((r) => setTimeout(r, 5));
      })(),
      'the retry',
    );
    assert.match(s.connection.text, /data: y{200}/);
    await hub.close();
  });
});
