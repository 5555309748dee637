/**
 * The demo publishers, in process: a real hub, an in-process subscription,
 * and node:test's fake timers (setInterval and Date) so every tick is
 * stepped by the test, never waited for.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createHub, type Hub, type Subscription, type Update } from '../../src/hub/index.js';
import { isSseError } from '../../src/protocol/sse-error.js';
import {
  checkSymbols,
  createVitalsSampler,
  DEMO_SELECTORS,
  MONITOR_TOPIC,
  nextPrice,
  NOTIFICATION_TYPES,
  NOTIFICATIONS_TOPIC,
  priceTopic,
  PRICES_SELECTOR,
  startDemo,
  startMonitor,
  startNotifications,
  startPriceTicker,
  type PriceTick,
  type Vitals,
} from '../../src/demo/index.js';
import { within } from '../response/helpers.js';

/** A repeatable stand-in for Math.random (a linear congruential generator). */
function seeded(seed = 1): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Reads `count` updates from a subscription, bounded. */
async function take(subscription: Subscription, count: number): Promise<Update[]> {
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    const next = await within(subscription.next(), `update ${i + 1} of ${count}`);
    if (next.done === true) assert.fail('the subscription ended');
    updates.push(next.value);
  }
  return updates;
}

/** Lets pending publishes (promises) settle without advancing fake time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

void describe('demo publishers', () => {
  let hub: Hub;
  let subscription: Subscription;

  beforeEach(async () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_700_000_000_000 });
    hub = createHub();
    subscription = hub.subscribe({ topics: [...DEMO_SELECTORS] });
    await subscription.ready;
  });

  afterEach(async () => {
    subscription.close();
    await hub.close();
    mock.timers.reset();
  });

  void it('the price ticker moves every symbol on its own topic each tick', async () => {
    const ticker = startPriceTicker(hub, {
      symbols: ['AAA', 'B.B'],
      interval: 500,
      random: seeded(),
    });
    mock.timers.tick(500);
    const first = await take(subscription, 2);
    mock.timers.tick(500);
    const second = await take(subscription, 2);
    ticker.stop();

    for (const [i, symbol] of ['AAA', 'B.B'].entries()) {
      const [a, b] = [first[i], second[i]];
      assert.ok(a && b);
      assert.deepEqual(a.topics, [priceTopic(symbol)]);
      assert.equal(a.type, 'price');
      const tickA = JSON.parse(a.data) as PriceTick;
      const tickB = JSON.parse(b.data) as PriceTick;
      assert.equal(tickA.symbol, symbol);
      assert.equal(tickA.time, 1_700_000_000_500);
      assert.equal(tickB.time, 1_700_000_001_000);
      assert.equal(tickB.open, tickA.open, 'the opening price stays');
      assert.ok(tickA.open >= 20 && tickA.open <= 20 * Math.exp(3));
      assert.equal(tickA.price, Math.round(tickA.price * 100) / 100, 'two decimals');
      // One step moves the price by a fraction of a percent, not more than 3 %.
      assert.ok(Math.abs(Math.log(tickB.price / tickA.price)) < 0.03);
    }

    const published = hub.stats.updatesPublished;
    mock.timers.tick(5_000);
    await settle();
    assert.equal(hub.stats.updatesPublished, published, 'nothing after stop()');
  });

  void it('the monitor publishes the vitals as JSON on its topic', async () => {
    const monitor = startMonitor(hub, { interval: 1000 });
    mock.timers.tick(1000);
    const [update] = await take(subscription, 1);
    monitor.stop();
    assert.ok(update);
    assert.deepEqual(update.topics, [MONITOR_TOPIC]);
    assert.equal(update.type, 'monitor');
    const vitals = JSON.parse(update.data) as Vitals;
    assert.equal(vitals.subscribers, 1);
    assert.ok(vitals.rss > 0 && vitals.heapUsed > 0 && vitals.heapTotal >= vitals.heapUsed);
    for (const value of [
      vitals.updatesPerSecond,
      vitals.deliveriesPerSecond,
      vitals.bytesPerSecond,
      vitals.cpu,
      vitals.eventLoopDelay.mean,
      vitals.eventLoopDelay.p99,
      vitals.eventLoopDelay.max,
    ]) {
      assert.ok(Number.isFinite(value) && value >= 0, `finite and not negative: ${value}`);
    }
  });

  void it('notifications carry one of the three types on their topic', async () => {
    const notifications = startNotifications(hub, { interval: 100, random: seeded(7) });
    const seen: Update[] = [];
    for (let i = 0; i < 6; i++) {
      mock.timers.tick(100);
      seen.push(...(await take(subscription, 1)));
    }
    notifications.stop();
    for (const update of seen) {
      assert.deepEqual(update.topics, [NOTIFICATIONS_TOPIC]);
      assert.ok((NOTIFICATION_TYPES as readonly (string | undefined)[]).includes(update.type));
      assert.ok(update.data.length > 0);
    }
  });

  void it('startDemo runs all three and stop() stops them', async () => {
    const demo = startDemo(hub, {
      symbols: ['X'],
      priceInterval: 100,
      monitorInterval: 100,
      notificationInterval: 100,
      random: seeded(3),
    });
    mock.timers.tick(100);
    const updates = await take(subscription, 3);
    demo.stop();
    assert.deepEqual(
      updates.map((u) => u.type).sort(),
      [
        'monitor',
        'price',
        ...NOTIFICATION_TYPES.filter((t) => updates.some((u) => u.type === t)),
      ].sort(),
    );
    const published = hub.stats.updatesPublished;
    mock.timers.tick(1000);
    await settle();
    assert.equal(hub.stats.updatesPublished, published);
  });

  void it('a part set to false does not run', async () => {
    const demo = startDemo(hub, {
      priceInterval: false,
      monitorInterval: false,
      notificationInterval: 100,
    });
    mock.timers.tick(100);
    const [update] = await take(subscription, 1);
    demo.stop();
    assert.deepEqual(update?.topics, [NOTIFICATIONS_TOPIC]);
  });

  void it('the hub closing stops the demo without reporting errors', async () => {
    const errors: unknown[] = [];
    startDemo(hub, {
      priceInterval: 100,
      monitorInterval: 100,
      notificationInterval: 100,
      onError: (error) => errors.push(error),
    });
    await hub.close();
    mock.timers.tick(100);
    await settle();
    mock.timers.tick(100);
    await settle();
    assert.deepEqual(errors, []);
  });

  void it('other publish failures go to onError and the demo goes on', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const failing = {
      stats: hub.stats,
      publish: () => {
        calls++;
        return Promise.reject(new Error('transport down'));
      },
    };
    const demo = startDemo(failing, {
      priceInterval: false,
      monitorInterval: false,
      notificationInterval: 100,
      onError: (error) => errors.push(error),
    });
    mock.timers.tick(100);
    await settle();
    mock.timers.tick(100);
    await settle();
    demo.stop();
    assert.equal(calls, 2);
    assert.equal(errors.length, 2);
  });
});

void describe('demo options', () => {
  const invalid = (field: string) => (error: unknown) =>
    isSseError(error, 'SSE_ERR_INVALID_OPTION') && error.field === field;

  void it('symbols: at least one, safe characters, no duplicates', () => {
    assert.deepEqual(checkSymbols(['ACME', 'b_2.x-y']), ['ACME', 'b_2.x-y']);
    for (const symbols of [[], ['a b'], ['-x'], ['A', 'A'], ['x'.repeat(17)], ['<b>']]) {
      assert.throws(() => checkSymbols(symbols), invalid('symbols'), JSON.stringify(symbols));
    }
  });

  void it('intervals: integers of at least 10 ms; nothing starts on a bad option', () => {
    const hub = { stats: createHub().stats, publish: () => Promise.resolve('') };
    assert.throws(() => startDemo(hub, { priceInterval: 5 }), invalid('priceInterval'));
    assert.throws(() => startDemo(hub, { monitorInterval: 1.5 }), invalid('monitorInterval'));
    assert.throws(
      () => startDemo(hub, { notificationInterval: Number.NaN }),
      invalid('notificationInterval'),
    );
  });

  void it('the price selector matches every symbol topic', () => {
    assert.equal(PRICES_SELECTOR, 'https://ssehub.dev/demo/prices/{symbol}');
    assert.equal(priceTopic('ACME'), 'https://ssehub.dev/demo/prices/ACME');
  });
});

void describe('price walk and vitals', () => {
  void it('a step is a normal draw on the log price, floored at one cent', () => {
    // u = 0.5, v = 0.5: z = sqrt(-2 ln 0.5) * cos(pi) = -1.1774…
    const half = () => 0.5;
    assert.equal(nextPrice(100, half), 100 * Math.exp(0.004 * -Math.sqrt(-2 * Math.log(0.5))));
    assert.equal(nextPrice(0.01, half), 0.01);
  });

  void it('rates are counter deltas over elapsed time', () => {
    let now = 0;
    const stats = { subscribers: 3, updatesDispatched: 10, deliveries: 20, bytesWritten: 1000 };
    const sampler = createVitalsSampler(() => stats, { now: () => now });
    try {
      now = 2000;
      stats.updatesDispatched += 100;
      stats.deliveries += 300;
      stats.bytesWritten += 5000;
      const vitals = sampler.sample();
      assert.equal(vitals.subscribers, 3);
      assert.equal(vitals.updatesPerSecond, 50);
      assert.equal(vitals.deliveriesPerSecond, 150);
      assert.equal(vitals.bytesPerSecond, 2500);
      now = 3000;
      const quiet = sampler.sample();
      assert.equal(quiet.updatesPerSecond, 0);
    } finally {
      sampler.close();
    }
  });
});
