/**
 * `ssehub serve --transport … --workers N`: the flags' checks and messages,
 * Redis unreachable at start-up, and N processes on one port sharing Redis.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  publish,
  publisherToken,
  SECRET,
  Subscriber,
  subscribeUrl,
  until,
  within,
} from '../hub-server/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';
import { cli, serve } from './helpers.js';

const KEY = ['--jwt-key', SECRET];

void describe('ssehub serve --transport and --workers: refusals', () => {
  void test('a --transport that is neither memory nor a Redis URL is refused, password hidden', async () => {
    const notUrl = await cli(['serve', ...KEY, '--transport', 'redis']);
    assert.equal(notUrl.code, 2);
    assert.match(notUrl.stderr, /--transport must be "memory" or a redis:\/\/ or rediss:\/\/ URL/);
    const wrongScheme = await cli(['serve', ...KEY], {
      SSEHUB_TRANSPORT: 'http://user:hunter2@127.0.0.1:6379',
    });
    assert.equal(wrongScheme.code, 2);
    assert.match(wrongScheme.stderr, /SSEHUB_TRANSPORT must be .* got "http:\/\/user:\*\*\*@/);
    assert.doesNotMatch(wrongScheme.stderr, /hunter2/);
  });

  void test('--redis-key-prefix: checked, and only with Redis', async () => {
    const bad = await cli([
      'serve',
      ...KEY,
      '--transport',
      REDIS_URL,
      '--redis-key-prefix',
      'has space',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--redis-key-prefix must be 1 to 100 letters/);
    const memory = await cli(['serve', ...KEY, '--redis-key-prefix', 'x']);
    assert.equal(memory.code, 2);
    assert.match(memory.stderr, /--redis-key-prefix needs a Redis --transport/);
  });

  void test('Redis unreachable at start-up: exit 1 naming the URL, password hidden', async () => {
    // Port 1 on loopback: nothing listens there (connection refused at once).
    const result = await cli([
      'serve',
      ...KEY,
      '--port',
      '0',
      '--transport',
      'redis://:s3cret@127.0.0.1:1',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Redis is unreachable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(result.stderr + result.stdout, /s3cret/);
  });
});

const admin = await connectAdmin();
const skip = skipReason(admin.reason);
const prefixes: string[] = [];
after(async () => {
  if (admin.client !== undefined) {
    await deletePrefixes(admin.client, prefixes);
    await admin.client.close();
  }
});

void describe('ssehub serve --workers 3 --transport redis://…', { skip }, () => {
  void test('three processes on one port: every subscriber gets every update; SIGTERM exits 0', async () => {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const served = await serve([
      ...KEY,
      '--anonymous',
      '--workers',
      '3',
      '--transport',
      REDIS_URL,
      '--redis-key-prefix',
      prefix,
    ]);
    const ready = served.logs.find((l) => String(l.msg).startsWith('listening on'));
    assert.ok(ready);
    assert.equal(ready.workers, 3);
    assert.equal(ready.transport, 'redis');
    // Workers log their own line; it may come just after the primary's.
    const workerPids = () =>
      new Set(served.logs.filter((l) => l.msg === 'worker ready').map((l) => l.pid));
    await until(() => workerPids().size === 3, 'three worker processes');
    assert.ok(!workerPids().has(ready.pid), 'the primary serves nothing itself');

    // Enough subscribers that the primary spreads them over the workers.
    const subscribers = Array.from(
      { length: 9 },
      () => new Subscriber(subscribeUrl(served.hubUrl, ['https://example.com/{x}'])),
    );
    await Promise.all(subscribers.map((s) => s.opened));
    const bearer = await publisherToken();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const response = await publish(
        served.hubUrl,
        { topic: `https://example.com/${i}`, data: String(i) },
        bearer,
      );
      assert.equal(response.status, 200, response.text);
      ids.push(response.text);
    }
    await until(
      () => subscribers.every((s) => s.all.length >= ids.length),
      'every subscriber to get every update',
      15_000,
    );
    for (const s of subscribers) {
      assert.deepEqual(
        s.all.map((e) => e.lastEventId),
        ids,
      );
    }
    // Each worker answers /healthz for itself; all of them report Redis.
    const health = (await (await fetch(`${served.base}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(health.transport, 'redis');
    assert.equal(health.transportReachable, true);

    for (const s of subscribers) s.close();
    served.child.kill('SIGTERM');
    assert.equal(await within(served.exit, 'the cluster to exit', 15_000), 0);
  });
});
