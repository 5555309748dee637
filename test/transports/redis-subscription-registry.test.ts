/**
 * The Redis registry of active subscriptions, two registries (two
 * "processes") on one fresh key prefix of a real Redis:
 *
 * - a process reaped while alive finds on its next renewal that it was
 *   reaped (`lost`), once;
 * - a process that stops renewing is no longer listed once its lease ended,
 *   and is reaped by the other exactly once (its documents handed to
 *   `orphaned`);
 * - a process that closes removes what it listed.
 *
 * Redis unreachable: skipped with one loud line, except with CI=true.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRedisTransport } from '../../src/transports/redis.js';
import type {
  RegistryEvents,
  SubscriptionDocument,
  SubscriptionRegistry,
  Transport,
} from '../../src/hub/index.js';
import { until } from '../hub-server/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from './redis-helpers.js';

const admin = await connectAdmin();
const skip = skipReason(admin.reason);
const prefixes: string[] = [];
const LEASE = 100;

after(async () => {
  if (admin.client !== undefined) {
    await deletePrefixes(admin.client, prefixes);
    await admin.client.close();
  }
});

function doc(match: string): SubscriptionDocument {
  return {
    id: `/.well-known/mercure/subscriptions/exact/${encodeURIComponent(match)}/urn%3Auuid%3A1`,
    type: 'subscription',
    match_type: 'exact',
    match,
    subscriber: 'urn:uuid:1',
    active: true,
  };
}

interface Spy extends RegistryEvents {
  orphans: SubscriptionDocument[][];
  lostCount: number;
}

function spy(): Spy {
  const s: Spy = {
    orphans: [],
    lostCount: 0,
    orphaned: (documents) => s.orphans.push([...documents]),
    lost: () => {
      s.lostCount++;
    },
  };
  return s;
}

void describe('Redis subscription registry', { skip }, () => {
  void it('reaps a process whose lease ended exactly once; that process, alive, learns it was lost', async () => {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const transports: Transport[] = [];
    const registries: SubscriptionRegistry[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        transports.push(await createRedisTransport({ url: REDIS_URL, keyPrefix: prefix }));
      }
      const [a, b] = transports.map((t) => {
        const registry = t.subscriptionRegistry?.({ leaseInterval: LEASE });
        assert.ok(registry !== undefined);
        registries.push(registry);
        return registry;
      }) as [SubscriptionRegistry, SubscriptionRegistry];
      const spyA = spy();
      const spyB = spy();
      a.start(spyA);
      b.start(spyB);
      await a.add([doc('https://example.com/1'), doc('https://example.com/2')]);
      await b.add([doc('https://example.com/b')]);
      assert.deepEqual((await b.list()).map((d) => d.match).sort(), [
        'https://example.com/1',
        'https://example.com/2',
        'https://example.com/b',
      ]);
      assert.ok(admin.client !== undefined);
      const set = `{${prefix}}:subs:procs`;
      let memberA: string | undefined;
      for (const member of await admin.client.zRange(set, 0, -1)) {
        if ((await admin.client.hLen(`{${prefix}}:subs:proc:${member}`)) === 2) memberA = member;
      }
      assert.ok(memberA !== undefined);

      // A is reaped while alive (as after being cut off from Redis): its next
      // renewal finds it gone and says so; it is listed again once it adds.
      await admin.client.zRem(set, memberA);
      await admin.client.del(`{${prefix}}:subs:proc:${memberA}`);
      assert.deepEqual(
        (await b.list()).map((d) => d.match),
        ['https://example.com/b'],
      );
      await until(() => spyA.lostCount === 1, 'A to learn it was reaped');
      await a.add([doc('https://example.com/1'), doc('https://example.com/2')]);
      assert.equal((await b.list()).length, 3);
      await new Promise((resolve) => setTimeout(resolve, 3 * LEASE));
      assert.equal(spyA.lostCount, 1, 'renewing in time is not lost again');

      // A dies (its connection to Redis gone, so it renews no more): B lists
      // it no more once its lease ends, and reaps it exactly once. (The
      // bound is checked with real processes in redis-subscriptions.test.ts.)
      await transports[0]?.close();
      await until(() => spyB.orphans.length > 0, "B to reap A's subscriptions", 10 * LEASE);
      assert.deepEqual(
        spyB.orphans
          .flat()
          .map((d) => d.match)
          .sort(),
        ['https://example.com/1', 'https://example.com/2'],
      );
      assert.deepEqual(
        (await b.list()).map((d) => d.match),
        ['https://example.com/b'],
      );
      await new Promise((resolve) => setTimeout(resolve, 3 * LEASE));
      assert.equal(spyB.orphans.flat().length, 2, 'reaped once');
      assert.equal(spyB.lostCount, 0);
      // Closing B removes what it listed.
      await b.close();
      assert.equal(await admin.client.exists(`{${prefix}}:subs:procs`), 0);
    } finally {
      // A's registry cannot reach Redis any more: its close fails, as a dead process's would.
      for (const registry of registries) await registry.close().catch(() => undefined);
      for (const transport of transports) await transport.close();
    }
  });
});
