/**
 * `ssehub serve --flask-sse …`: the flags' checks and messages, Redis
 * unreachable at start-up, and `--workers` (the primary runs the one bridge,
 * every worker serves the stream). The single-process path runs in
 * test/examples/flask.test.ts with the example app.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SECRET, Subscriber } from '../hub-server/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';
import { uniqueChannel } from '../bridges/flask-sse/helpers.js';
import { cli, serve } from './helpers.js';

const KEY = ['--jwt-key', SECRET];

void describe('ssehub serve --flask-sse: refusals', () => {
  void test('the other --flask-sse-* flags need --flask-sse (exit 2)', async () => {
    const result = await cli(['serve', ...KEY, '--flask-sse-path', '/events']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--flask-sse-path needs --flask-sse <redis url>/);
    const fromEnv = await cli(['serve', ...KEY], { SSEHUB_FLASK_SSE_CHANNELS: 'a,b' });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /SSEHUB_FLASK_SSE_CHANNELS needs --flask-sse/);
  });

  void test('--flask-sse must be a Redis URL (password hidden)', async () => {
    const result = await cli(['serve', ...KEY, '--flask-sse', 'http://u:hunter2@localhost:6379']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--flask-sse must be the redis:\/\/ or rediss:\/\/ URL/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  void test('--flask-sse-auth: anonymous or jwt, and jwt needs a subscriber key', async () => {
    const bad = await cli(['serve', ...KEY, '--flask-sse', REDIS_URL, '--flask-sse-auth', 'basic']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--flask-sse-auth must be one of anonymous, jwt, got "basic"/);
    const keyless = await cli([
      'serve',
      '--publisher-jwt-key',
      SECRET,
      '--anonymous',
      '--flask-sse',
      REDIS_URL,
      '--flask-sse-auth',
      'jwt',
    ]);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /--flask-sse-auth jwt needs a subscriber key/);
  });

  void test('--flask-sse-path: an absolute path no other route has', async () => {
    for (const [path, message] of [
      ['stream', /--flask-sse-path: must be an absolute path/],
      ['/healthz', /--flask-sse-path: \/healthz is taken by another route/],
      ['/.well-known/mercure', /is taken by another route/],
    ] as const) {
      const result = await cli([
        'serve',
        ...KEY,
        '--flask-sse',
        REDIS_URL,
        '--flask-sse-path',
        path,
      ]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });
});

const admin = await connectAdmin();
const redisSkip = skipReason(admin.reason);

void describe('ssehub serve --flask-sse with Redis', { skip: redisSkip, timeout: 60_000 }, () => {
  const prefixes: string[] = [];
  after(async () => {
    if (admin.client !== undefined) {
      await deletePrefixes(admin.client, prefixes);
      await admin.client.close();
    }
  });

  void test('Redis unreachable at start-up: exit 1, saying where', async () => {
    const result = await cli(['serve', ...KEY, '--flask-sse', 'redis://127.0.0.1:1']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /flask-sse bridge: Redis is unreachable at redis:\/\/127\.0\.0\.1:1/,
    );
  });

  void test('--workers 2: the primary bridges each message once, every worker streams it', async () => {
    const client = admin.client;
    assert.ok(client !== undefined);
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const channel = uniqueChannel('workers');
    const served = await serve([
      ...KEY,
      '--anonymous',
      '--workers',
      '2',
      '--transport',
      REDIS_URL,
      '--redis-key-prefix',
      prefix,
      '--flask-sse',
      REDIS_URL,
      '--flask-sse-channels',
      channel,
    ]);
    const url = `${served.base}/stream?channel=${encodeURIComponent(channel)}`;
    // Several connections: the primary spreads them over both workers.
    const subscribers = [0, 1, 2, 3].map(() => new Subscriber(url, { types: ['dataUpdate'] }));
    try {
      await Promise.all(subscribers.map((s) => s.opened));
      // Exactly one bridge subscribed (the primary's), so one publish per message.
      const numsub = await client.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', channel]);
      assert.equal(numsub[1], 1);
      await client.publish(channel, JSON.stringify({ data: { n: 1 }, type: 'dataUpdate' }));
      await client.publish(channel, JSON.stringify({ data: 'two', type: 'dataUpdate', id: 'two' }));
      for (const subscriber of subscribers) {
        assert.equal((await subscriber.events.next('n=1')).data, '{"n": 1}');
        const second = await subscriber.events.next('two');
        assert.deepEqual([second.data, second.lastEventId], ['two', 'two']);
      }
      for (const subscriber of subscribers) assert.equal(subscriber.all.length, 2);
    } finally {
      for (const subscriber of subscribers) subscriber.close();
      served.child.kill('SIGTERM');
      assert.equal(await served.exit, 0);
    }
  });
});
