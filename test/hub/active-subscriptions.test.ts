/**
 * Active subscriptions in the hub, without HTTP: in-process subscriptions
 * are announced too, the registry is changed before each event is
 * dispatched (what makes "list, then resume from the cursor" miss nothing),
 * closing the hub announces its subscribers' departures, and matchers are
 * encoded once, as a whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createHub,
  createMemoryTransport,
  encodeSegment,
  MemorySubscriptionRegistry,
  type SubscriptionDocument,
  type Transport,
  type Update,
} from '../../src/hub/index.js';
import { exactSelector } from '../../src/hub/selector-key.js';

/** A memory transport whose registry and dispatches log to `steps`, in order. */
function recording(steps: string[]): Transport {
  const inner = createMemoryTransport();
  const registry = new MemorySubscriptionRegistry();
  return {
    dispatch: (update: Update) => {
      const doc = JSON.parse(update.data) as SubscriptionDocument;
      steps.push(`event ${doc.match} ${String(doc.active)}`);
      return inner.dispatch(update);
    },
    subscribe: (listener) => inner.subscribe(listener),
    livePosition: () => inner.livePosition(),
    history: (query) => inner.history(query),
    lastEventId: () => inner.lastEventId(),
    close: () => inner.close(),
    subscriptionRegistry: () => ({
      start: () => undefined,
      add: (docs: readonly SubscriptionDocument[]) => {
        steps.push(`add ${docs.map((d) => d.match).join(',')}`);
        return registry.add(docs);
      },
      remove: (ids: readonly string[]) => {
        steps.push(`remove ${String(ids.length)}`);
        return registry.remove(ids);
      },
      list: () => registry.list(),
      close: () => registry.close(),
    }),
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

void describe('hub: active subscriptions', () => {
  void it('announces in-process subscriptions, registry first, event after; close announces the leaves', async () => {
    const steps: string[] = [];
    const hub = createHub({ subscriptions: true, transport: recording(steps) });
    const sub = hub.subscribe({ topics: ['https://example.com/a', exactSelector('x')] });
    await sub.ready;
    await settle();
    assert.deepEqual(steps, [
      'add https://example.com/a,x',
      'event https://example.com/a true',
      'event x true',
    ]);
    const listed = await hub.activeSubscriptions?.list();
    assert.deepEqual(
      listed?.map((d) => [d.match_type, d.match]),
      [
        ['uritemplate', 'https://example.com/a'],
        ['exact', 'x'],
      ],
    );
    steps.length = 0;
    await hub.close();
    assert.deepEqual(steps, ['remove 2', 'event https://example.com/a false', 'event x false']);
  });

  void it('delivers the events privately, type mercure, to a subscriber allowed to see them', async () => {
    const hub = createHub({ subscriptions: { hubPath: '/hub' } });
    const watcher = hub.subscribe({ topics: ['*'], claims: { subscribe: ['/hub/{+rest}'] } });
    const anonymous = hub.subscribe({ topics: ['*'] });
    const first = (await watcher.next()).value as Update;
    assert.equal(first.type, 'mercure');
    assert.equal(first.private, true);
    const doc = JSON.parse(first.data) as SubscriptionDocument;
    assert.equal(first.topics[0], doc.id);
    assert.ok(doc.id.startsWith('/hub/subscriptions/uritemplate/%2A/urn%3Auuid%3A'));
    const marker = await hub.publish({ topics: 'https://example.com/m', data: 'marker' });
    for (;;) {
      const next = (await anonymous.next()).value as Update;
      assert.notEqual(next.type, 'mercure');
      if (next.id === marker) break;
    }
    await hub.close();
  });

  void it('encodes each variable once, as a whole (RFC 6570 simple expansion)', () => {
    assert.equal(encodeSegment('https://example.com/:id'), 'https%3A%2F%2Fexample.com%2F%3Aid');
    assert.equal(encodeSegment("a%2Fb !'()*~._-"), 'a%252Fb%20%21%27%28%29%2A~._-');
    assert.equal(encodeSegment('é'), '%C3%A9');
  });
});
