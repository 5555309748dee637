/**
 * Finding 6: one malformed Redis entry killed every hub.
 * `XADD {prefix}:updates * id bad1 topics not-json data x` made every hub
 * process on that prefix exit 1 (an unhandled rejection in the reader). Now
 * the entry is skipped, reported once in the log, counted in /metrics
 * (`ssehub_transport_events_total{event="malformedEntries"}`), and delivery
 * goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serve, type Served } from '../cli/helpers.js';
import { publish, SECRET, Subscriber, subscribeUrl, token } from '../hub-server/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';

const admin = await connectAdmin();
const prefix = freshPrefix();

void describe('a malformed Redis stream entry', { skip: skipReason(admin.reason) }, () => {
  const hubs: Served[] = [];
  const subscribers: Subscriber[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      hubs.push(
        await serve([
          '--jwt-key',
          SECRET,
          '--anonymous',
          '--transport',
          REDIS_URL,
          '--redis-key-prefix',
          prefix,
        ]),
      );
    }
  });
  after(async () => {
    for (const s of subscribers) s.close();
    for (const hub of hubs) hub.child.kill('SIGKILL');
    if (admin.client !== undefined) {
      await deletePrefixes(admin.client, [prefix]);
      await admin.client.close();
    }
  });

  void it('is skipped, counted and logged; no hub dies; later updates arrive', async () => {
    for (const hub of hubs) {
      const sub = new Subscriber(subscribeUrl(hub.hubUrl, ['*']));
      await sub.opened;
      subscribers.push(sub);
    }
    const stream = `{${prefix}}:updates`;
    await admin.client?.sendCommand([
      'XADD',
      stream,
      '*',
      'id',
      'bad1',
      'topics',
      'not-json',
      'data',
      'x',
    ]);
    await admin.client?.sendCommand(['XADD', stream, '*', 'topics', '["t"]', 'data', 'no id']);
    await admin.client?.sendCommand(['XADD', stream, '*', 'id', 'bad3', 'topics', '[1,2]']);
    const pub = await token({ publish: ['*'] });
    const res = await publish(
      hubs[0]?.hubUrl ?? '',
      { topic: 'https://example.com/after', id: 'good1', data: 'ok' },
      pub,
    );
    assert.equal(res.status, 200);
    for (const sub of subscribers) {
      assert.deepEqual(await sub.events.next(), {
        type: 'message',
        data: 'ok',
        lastEventId: 'good1',
      });
    }
    for (const hub of hubs) {
      assert.equal(hub.child.exitCode, null, 'the hub is still running');
      const metrics = await (await fetch(`${hub.base}/metrics`)).text();
      assert.match(metrics, /ssehub_transport_events_total\{event="malformedEntries"\} 3/);
      const health = await fetch(`${hub.base}/healthz`);
      assert.equal(health.status, 200);
      const warnings = hub.logs.filter((entry) => entry.entryId !== undefined);
      assert.equal(warnings.length, 3, 'each malformed entry is logged once');
      assert.ok(!hub.logs.some((entry) => String(entry.msg).startsWith('Redis unreachable')));
    }
  });
});
