/**
 * Concurrency: 1,000 subscribers over real HTTP, 1,000 updates published
 * while subscribers randomly drop and resume with Last-Event-ID. Every
 * subscriber must see every matching update exactly once, in publish order.
 *
 * File descriptors: 1,000 client + 1,000 server sockets at a time (drops
 * close theirs before reopening), well under 20,000. Randomness is seeded,
 * so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import { SseClient, startHubServer, within } from './helpers.js';

const SUBSCRIBERS = 1000;
const UPDATES = 1000;
const TOPICS = 10;
const topicOf = (k: number): string => `https://e.com/t/${k}`;

/** Small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A subscriber that can drop and resume, keeping what it received across connections. */
class Resumable {
  readonly received: string[] = [];
  client: SseClient | undefined;
  reconnects = 0;
  readonly path: string;
  readonly #port: number;

  constructor(port: number, selector: string) {
    this.#port = port;
    this.path = `/.well-known/mercure?topic=${encodeURIComponent(selector)}`;
  }

  async connect(lastEventId: string): Promise<void> {
    const client = await SseClient.open(this.#port, this.path, { 'last-event-id': lastEventId });
    assert.equal(client.status, 200);
    this.client = client;
  }

  /** Ids received so far: earlier connections plus the current one. */
  ids(): string[] {
    return [...this.received, ...(this.client?.events.map((e) => e.lastEventId) ?? [])];
  }

  async resume(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    client.close();
    this.received.push(...client.events.map((e) => e.lastEventId));
    this.client = undefined;
    this.reconnects++;
    await this.connect(this.received.at(-1) ?? 'anchor');
  }
}

void describe('concurrency', () => {
  void it('1,000 subscribers, 1,000 updates, random drops and resumes: exactly once, in order', async () => {
    const hub = createHub({ historySize: UPDATES + 10, heartbeatInterval: false });
    const server = await startHubServer(hub);
    const rand = random(42);
    await hub.publish({ topics: 'https://e.com/anchor', id: 'anchor' });

    // Selectors: a third `*`, a third one exact topic, a third a URI template.
    const selectors = Array.from({ length: SUBSCRIBERS }, (_, i) =>
      i % 3 === 0 ? '*' : i % 3 === 1 ? topicOf(i % TOPICS) : 'https://e.com/t/{n}',
    );
    const subscribers = selectors.map((s) => new Resumable(server.port, s));
    for (let i = 0; i < SUBSCRIBERS; i += 100) {
      await Promise.all(subscribers.slice(i, i + 100).map((s) => s.connect('anchor')));
    }

    const published: { id: string; topic: string }[] = [];
    const resumes: Promise<void>[] = [];
    for (let n = 0; n < UPDATES; n++) {
      const topic = topicOf(Math.floor(rand() * TOPICS));
      const id = `u${n}`;
      published.push({ id, topic });
      void hub.publish({ topics: topic, id, data: `${n}` });
      if (n % 20 === 19) {
        // Drop and resume a few random subscribers while publishing goes on.
        for (let k = 0; k < 8; k++) {
          const s = subscribers[Math.floor(rand() * SUBSCRIBERS)];
          if (s?.client !== undefined) resumes.push(s.resume());
        }
        await nextTurn();
      }
    }
    await within(Promise.all(resumes), 'resumes', 20_000);

    const expected = (selector: string): string[] =>
      published
        .filter((u) => selector === '*' || selector.includes('{') || u.topic === selector)
        .map((u) => u.id);
    await within(
      (async () => {
        for (let i = 0; i < SUBSCRIBERS; i++) {
          const s = subscribers[i];
          assert.ok(s);
          const want = expected(selectors[i] ?? '').length;
          while (s.ids().length < want) await new Promise((r) => setTimeout(r, 5));
        }
      })(),
      'every subscriber to catch up',
      30_000,
    );
    let reconnects = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const s = subscribers[i];
      assert.ok(s);
      reconnects += s.reconnects;
      assert.deepEqual(s.ids(), expected(selectors[i] ?? ''), `subscriber ${i} (${selectors[i]})`);
    }
    assert.ok(reconnects >= 300, `${reconnects} reconnects exercised`);
    assert.ok(hub.stats.writes < hub.stats.deliveries, 'writes were coalesced');

    for (const s of subscribers) s.client?.close();
    await hub.close();
    await server.close();
  });
});
