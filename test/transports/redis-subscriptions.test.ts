/**
 * Active subscriptions across three `ssehub serve --subscriptions` processes
 * on one real Redis (one fresh key prefix):
 *
 * - every process lists every process's subscriptions;
 * - one process is killed (SIGKILL): a survivor announces each of its
 *   subscriptions `active: false`, exactly once, within the documented bound
 *   (3 × `--subscriptions-lease`), and no process lists them any more;
 * - one process stops gracefully (SIGTERM): its subscribers' leaves are
 *   announced and it lists nothing afterwards.
 *
 * Redis unreachable: skipped with one loud line, except with CI=true.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type Served } from '../cli/helpers.js';
import { SECRET, Subscriber, subscribeUrl, token, until } from '../hub-server/helpers.js';
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
/** The lease: the documented bound for a dead process's subscriptions is 3 × this. */
const LEASE_MS = 1000;
const SUBS = '/.well-known/mercure/subscriptions';

after(async () => {
  if (admin.client !== undefined) {
    await deletePrefixes(admin.client, prefixes);
    await admin.client.close();
  }
});

interface Doc {
  id: string;
  match: string;
  subscriber: string;
  active: boolean;
}

function hub(prefix: string): Promise<Served> {
  return serve([
    '--transport',
    REDIS_URL,
    '--redis-key-prefix',
    prefix,
    '--jwt-key',
    SECRET,
    '--anonymous',
    '--subscriptions',
    '--subscriptions-lease',
    String(LEASE_MS),
  ]);
}

async function list(served: Served, bearer: string): Promise<Doc[]> {
  const response = await fetch(`${served.base}${SUBS}`, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { subscriptions: Doc[] }).subscriptions;
}

function matches(docs: readonly Doc[]): string[] {
  return docs.map((d) => d.match).sort();
}

void describe('active subscriptions on Redis, three processes', { skip }, () => {
  void test('every process lists all; a SIGKILLed one is announced inactive by a survivor within 3 × the lease', async (t) => {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const hubs = await Promise.all([hub(prefix), hub(prefix), hub(prefix)]);
    const [a, b, c] = hubs;
    const bearer = await token({ subscribe: ['*'] });
    const subscribers: Subscriber[] = [];
    try {
      // A watcher of every subscription event, on C.
      const watcher = new Subscriber(subscribeUrl(c.hubUrl, ['*']), {
        bearer,
        types: ['mercure'],
      });
      subscribers.push(watcher);
      await watcher.opened;
      for (const [name, served] of [
        ['a', a],
        ['b', b],
        ['c', c],
      ] as const) {
        for (const n of [1, 2]) {
          const s = new Subscriber(
            subscribeUrl(served.hubUrl, [`https://example.com/${name}/${n}`]),
          );
          subscribers.push(s);
          await s.opened;
        }
      }
      const all = [
        '*',
        ...['a', 'b', 'c'].flatMap((h) => [1, 2].map((n) => `https://example.com/${h}/${n}`)),
      ].sort();
      // Every process lists every process's subscriptions.
      for (const served of hubs) {
        let seen: string[] = [];
        for (let i = 0; i < 100 && seen.length !== all.length; i++) {
          seen = matches(await list(served, bearer));
          if (seen.length !== all.length) await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepEqual(seen, all);
      }
      const fromA = (await list(c, bearer)).filter((d) =>
        d.match.startsWith('https://example.com/a/'),
      );
      assert.equal(fromA.length, 2);

      // SIGKILL A: no goodbye from it.
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      await a.exit;
      const events = (): Doc[] =>
        watcher.all.filter((e) => e.type === 'mercure').map((e) => JSON.parse(e.data) as Doc);
      const inactiveFromA = (): Doc[] =>
        events().filter((d) => !d.active && d.match.startsWith('https://example.com/a/'));
      await until(
        () => inactiveFromA().length >= 2,
        "A's subscriptions announced inactive",
        3 * LEASE_MS + 2000,
      );
      const delay = Date.now() - killedAt;
      t.diagnostic(`announced inactive ${delay} ms after the SIGKILL (bound ${3 * LEASE_MS} ms)`);
      assert.ok(
        delay <= 3 * LEASE_MS,
        `announced ${delay} ms after the SIGKILL, more than 3 × the ${LEASE_MS} ms lease`,
      );
      assert.deepEqual(
        inactiveFromA()
          .map((d) => d.id)
          .sort(),
        fromA.map((d) => d.id).sort(),
      );
      // Gone from every survivor's list.
      const survivors = all.filter((m) => !m.startsWith('https://example.com/a/'));
      assert.deepEqual(matches(await list(b, bearer)), survivors);
      assert.deepEqual(matches(await list(c, bearer)), survivors);
      // Exactly one survivor claimed them: one announcement each, even after another lease.
      await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
      assert.equal(inactiveFromA().length, 2);

      // B stops gracefully: its subscribers' leaves are announced, its list entries go.
      b.child.kill('SIGTERM');
      await b.exit;
      await until(
        () =>
          events().filter((d) => !d.active && d.match.startsWith('https://example.com/b/'))
            .length === 2,
        "B's subscriptions announced inactive",
      );
      assert.deepEqual(
        matches(await list(c, bearer)),
        all.filter((m) => !/^https:\/\/example\.com\/[ab]\//.test(m)),
      );
    } finally {
      for (const s of subscribers) s.close();
      for (const served of hubs) served.child.kill('SIGKILL');
    }
  });
});
