/**
 * `ssehub serve --transport file:…`, `--fsync` and `--history-bytes`: the
 * flags' refusals (exit 2), a store that cannot be opened (exit 1, one plain
 * line naming the folder and the holder's pid), what `/healthz` and
 * `/metrics` report, and `--history-bytes` reaching the memory and Redis
 * transports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { open } from 'lmdb';
import { FORMAT_VERSION } from '../../src/transports/file.js';
import { publish, publisherToken, SECRET, within } from '../hub-server/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';
import { cli, serve } from './helpers.js';

const KEY = ['--jwt-key', SECRET];
const root = mkdtempSync(join(tmpdir(), 'ssehub-serve-file-'));
let made = 0;
const folder = (): string => join(root, `store-${++made}`);

const admin = await connectAdmin();
const prefixes: string[] = [];
after(async () => {
  rmSync(root, { recursive: true, force: true });
  if (admin.client !== undefined) {
    await deletePrefixes(admin.client, prefixes);
    await admin.client.close();
  }
});

async function health(base: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/healthz`)).json()) as Record<string, unknown>;
}

void describe('ssehub serve --transport file: refusals', () => {
  void test('bad --fsync, --fsync without a file store, an empty folder, --history-bytes: exit 2', async () => {
    const badMode = await cli([
      'serve',
      ...KEY,
      '--transport',
      `file:${folder()}`,
      '--fsync',
      'never',
    ]);
    assert.equal(badMode.code, 2);
    assert.match(badMode.stderr, /--fsync must be one of always, batch, got "never"/);
    const memory = await cli(['serve', ...KEY, '--fsync', 'always']);
    assert.equal(memory.code, 2);
    assert.match(memory.stderr, /--fsync needs a file: --transport/);
    const empty = await cli(['serve', ...KEY, '--transport', 'file:']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--transport file: needs a folder, e\.g\. file:\.\/ssehub-data/);
    const bytes = await cli(['serve', ...KEY, '--history-bytes', '0']);
    assert.equal(bytes.code, 2);
    assert.match(bytes.stderr, /--history-bytes must be an integer >= 1, got "0"/);
  });

  void test('a store in use: exit 1, one plain line naming the folder and the pid', async () => {
    const path = folder();
    const first = await serve([...KEY, '--transport', `file:${path}`]);
    const second = await cli(['serve', ...KEY, '--port', '0', '--transport', `file:${path}`]);
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr,
      `ssehub serve: the store ${path} is in use by another process (pid ${first.child.pid}): one store, one process. Stop it, or give this hub another folder\n`,
    );
    first.child.kill('SIGTERM');
    assert.equal(await within(first.exit, 'the hub to exit', 10_000), 0);
  });

  void test('a store in another format version: exit 1, one plain line', async () => {
    const path = folder();
    const env = open({ path, maxDbs: 4 });
    await env.openDB({ name: 'meta', encoding: 'json' }).put('meta', {
      format: FORMAT_VERSION + 1,
      lastSeq: -1,
      trimmedThrough: -1,
      count: 0,
      bytes: 0,
    });
    await env.close();
    const result = await cli(['serve', ...KEY, '--port', '0', '--transport', `file:${path}`]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `ssehub serve: the store ${path} is in format ${FORMAT_VERSION + 1}; this ssehub reads format ${FORMAT_VERSION}. Open it with the ssehub version that wrote it, or move the folder away to start with an empty history\n`,
    );
  });
});

void describe('ssehub serve --transport file: what it reports', () => {
  void test('the ready line names the store; /healthz has the history, /metrics the append latency', async () => {
    const path = folder();
    const served = await serve([...KEY, '--transport', `file:${path}`, '--fsync', 'always']);
    const ready = served.logs.find((l) => String(l.msg).startsWith('listening on'));
    assert.equal(ready?.transport, 'file');
    assert.equal(ready.store, path);
    assert.equal(ready.fsync, 'always');
    const bearer = await publisherToken();
    for (let i = 0; i < 5; i++) {
      const response = await publish(
        served.hubUrl,
        { topic: 'https://example.com/h', data: 'x'.repeat(100) },
        bearer,
      );
      assert.equal(response.status, 200);
    }
    const body = await health(served.base);
    assert.equal(body.transport, 'file');
    const history = body.history as { count: number; bytes: number; diskBytes: number };
    assert.equal(history.count, 5);
    assert.ok(history.bytes > 500);
    assert.ok(history.diskBytes > 0);
    const metrics = await (await fetch(`${served.base}/metrics`)).text();
    assert.match(metrics, /# TYPE ssehub_transport_append_seconds histogram/);
    assert.match(metrics, /ssehub_transport_append_seconds_bucket\{le="\+Inf"\} 5\n/);
    assert.match(metrics, /ssehub_transport_append_seconds_count 5\n/);
    assert.match(metrics, /ssehub_transport_append_seconds_sum \d/);
    assert.match(metrics, /ssehub_history_size 5\n/);
    served.child.kill('SIGTERM');
    assert.equal(await within(served.exit, 'the hub to exit', 10_000), 0);
  });

  void test('--history-bytes bounds the memory transport', async () => {
    const served = await serve([...KEY, '--history-bytes', '1000']);
    const bearer = await publisherToken();
    for (let i = 0; i < 20; i++) {
      await publish(
        served.hubUrl,
        { topic: 'https://example.com/m', data: 'y'.repeat(200) },
        bearer,
      );
    }
    const history = (await health(served.base)).history as { count: number; bytes: number };
    assert.ok(history.count <= 4 && history.count >= 3, `kept ${history.count}`);
    assert.ok(history.bytes <= 1000);
    const metrics = await (await fetch(`${served.base}/metrics`)).text();
    assert.doesNotMatch(metrics, /ssehub_transport_append_seconds/, 'memory does not measure it');
    served.child.kill('SIGTERM');
    await served.exit;
  });

  void test(
    '--history-bytes bounds the Redis transport',
    { skip: skipReason(admin.reason) },
    async () => {
      const prefix = freshPrefix();
      prefixes.push(prefix);
      const served = await serve([
        ...KEY,
        '--transport',
        REDIS_URL,
        '--redis-key-prefix',
        prefix,
        '--history-bytes',
        '1000',
      ]);
      const bearer = await publisherToken();
      for (let i = 0; i < 20; i++) {
        await publish(
          served.hubUrl,
          { topic: 'https://example.com/r', data: 'y'.repeat(200) },
          bearer,
        );
      }
      const length = await admin.client?.xLen(`{${prefix}}:updates`);
      assert.ok(length !== undefined && length <= 5, `the stream holds ${length} entries`);
      served.child.kill('SIGTERM');
      await served.exit;
    },
  );
});
