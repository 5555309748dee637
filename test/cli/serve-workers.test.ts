/**
 * `ssehub serve --workers 2` without Redis (the memory transport, a file
 * store): the primary holds the transport and serves it to the workers.
 * Real child processes, loopback, bounded waits: subscribers spread over
 * both workers get every update published to either, once, in order; a
 * subscriber resumes on any worker with Last-Event-ID; a worker killed with
 * SIGKILL is replaced and its subscribers resume without loss; the primary
 * killed, the workers exit with it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  publisherToken,
  SECRET,
  Subscriber,
  subscribeUrl,
  until,
  within,
} from '../hub-server/helpers.js';
import { cli, serve, type Served } from './helpers.js';

const KEY = ['--jwt-key', SECRET, '--anonymous'];
const TOPIC = 'https://example.com/workers';
const root = mkdtempSync(join(tmpdir(), 'ssehub-workers-'));
/** Every subscriber made, closed after the suite even when a test failed (no retries left running). */
const made: Subscriber[] = [];
after(() => {
  for (const s of made) s.close();
  rmSync(root, { recursive: true, force: true });
});

function subscriber(url: URL): Subscriber {
  const s = new Subscriber(url);
  made.push(s);
  return s;
}

/** One request on a connection of its own (the cluster hands each connection to a worker in turn). */
function fresh(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: options.method ?? 'GET', headers: options.headers, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    }),
    `${options.method ?? 'GET'} ${url}`,
  );
}

interface Health {
  pid: number;
  worker: number;
  subscribers: number;
  transport: string;
  transportReachable: boolean;
}

/** /healthz of each worker, asked on fresh connections until `count` workers answered. */
async function workersHealth(served: Served, count: number): Promise<Map<number, Health>> {
  const seen = new Map<number, Health>();
  for (let i = 0; i < 40 && seen.size < count; i++) {
    const health = JSON.parse((await fresh(`${served.base}/healthz`)).text) as Health;
    seen.set(health.pid, health);
  }
  assert.equal(seen.size, count, `${count} workers answered /healthz`);
  return seen;
}

/** Publishes on a fresh connection (so successive publishes reach different workers). */
async function publishFresh(hubUrl: string, bearer: string, data: string): Promise<string> {
  const body = new URLSearchParams({ topic: TOPIC, data }).toString();
  const res = await fresh(hubUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  assert.equal(res.status, 200, res.text);
  return res.text;
}

function workerPids(served: Served): number[] {
  return served.logs.filter((l) => l.msg === 'worker ready').map((l) => l.pid as number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function assertExactly(subscribers: Subscriber[], ids: string[]): void {
  for (const s of subscribers) {
    assert.deepEqual(
      s.all.map((e) => e.lastEventId),
      ids,
    );
  }
}

for (const kind of ['memory', 'file'] as const) {
  void describe(`ssehub serve --workers 2 --transport ${kind}`, () => {
    void test('fan-out over both workers, resume on any worker, a killed worker replaced without loss', async () => {
      const transport = kind === 'memory' ? [] : ['--transport', `file:${join(root, 'store')}`];
      const served = await serve([...KEY, '--workers', '2', ...transport]);
      const ready = served.logs.find((l) => String(l.msg).startsWith('listening on'));
      assert.equal(ready?.workers, 2);
      assert.equal(ready.transport, kind);
      await until(() => workerPids(served).length === 2, 'two workers ready', 15_000);
      const bearer = await publisherToken();

      // Subscribers on separate connections: the primary spreads them over the workers.
      const url = subscribeUrl(served.hubUrl, [TOPIC]);
      const subscribers = Array.from({ length: 6 }, () => subscriber(url));
      await Promise.all(subscribers.map((s) => s.opened));
      const health = await workersHealth(served, 2);
      const counts = [...health.values()].map((h) => h.subscribers);
      assert.ok(
        counts.every((n) => n > 0),
        `subscribers on every worker: ${counts.join(', ')}`,
      );
      assert.equal(
        counts.reduce((a, b) => a + b),
        6,
      );
      for (const h of health.values()) {
        assert.equal(h.transport, kind);
        assert.equal(h.transportReachable, true);
        assert.equal(typeof h.worker, 'number');
      }

      // Publishes on fresh connections reach both workers; every subscriber gets each once, in order.
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await publishFresh(served.hubUrl, bearer, `u${i}`));
      await until(
        () => subscribers.every((s) => s.all.length >= ids.length),
        'every subscriber to get every update',
        10_000,
      );
      assertExactly(subscribers, ids);

      // Missed while away: resumed with Last-Event-ID on fresh connections (both workers).
      const missed: string[] = [];
      for (let i = 0; i < 5; i++) missed.push(await publishFresh(served.hubUrl, bearer, `m${i}`));
      // (?lastEventID=: on a reconnection EventSource's own Last-Event-ID header wins.)
      const resumeUrl = subscribeUrl(served.hubUrl, [TOPIC], { lastEventID: ids.at(-1) as string });
      const resumed = Array.from({ length: 4 }, () => subscriber(resumeUrl));
      await until(
        () => resumed.every((s) => s.all.length >= missed.length),
        'the resumed subscribers to replay what they missed',
        10_000,
      );
      assertExactly(resumed, missed);
      const resumedOn = await workersHealth(served, 2);
      for (const [pid, h] of resumedOn) {
        assert.ok(
          h.subscribers > (health.get(pid)?.subscribers ?? Infinity),
          'the resumed subscribers are on both workers',
        );
      }
      const all = [...subscribers, ...resumed];
      const expected = (s: Subscriber) => (resumed.includes(s) ? missed : [...ids, ...missed]);
      await until(
        () => subscribers.every((s) => s.all.length >= ids.length + missed.length),
        'the first subscribers to get the later updates',
      );

      // SIGKILL one worker: the primary forks another; its subscribers come back and miss nothing.
      const [victim] = workerPids(served) as [number];
      process.kill(victim, 'SIGKILL');
      // (A connection accepted before the primary saw the death can go to the dead
      // worker and hang, as seen here: node:cluster's round robin. Clients retry.)
      await until(
        () => served.logs.some((l) => String(l.msg).startsWith('worker died')),
        'the primary to see the worker die',
      );
      const later: string[] = [];
      for (let i = 0; i < 10; i++) later.push(await publishFresh(served.hubUrl, bearer, `k${i}`));
      await until(() => workerPids(served).length === 3, 'a replacement worker', 15_000);
      await until(
        () => all.every((s) => s.all.length >= expected(s).length + later.length),
        'every subscriber, reconnected or not, to get every update',
        20_000,
      );
      for (const s of all) {
        assert.deepEqual(
          s.all.map((e) => e.lastEventId),
          [...expected(s), ...later],
        );
      }
      for (const s of all) s.close();

      // The primary killed: node:cluster ends the workers.
      const living = workerPids(served).filter(alive);
      assert.equal(living.length, 2);
      served.child.kill('SIGKILL');
      await within(served.exit, 'the primary to die');
      await until(() => living.every((pid) => !alive(pid)), 'the workers to exit', 10_000);
    });
  });
}

void describe('ssehub serve --workers 2 without Redis: --subscriptions', () => {
  void test('refused when asked for (each worker would list only its own), exit 2', async () => {
    const result = await cli(['serve', ...KEY, '--workers', '2', '--subscriptions']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /--subscriptions with --workers 2 needs a Redis --transport: with the memory transport each worker would list only its own subscribers/,
    );
    const file = await cli(['serve', ...KEY, '--transport', `file:${join(root, 'subs')}`], {
      SSEHUB_WORKERS: '3',
      SSEHUB_SUBSCRIPTIONS: 'true',
    });
    assert.equal(file.code, 2);
    assert.match(
      file.stderr,
      /SSEHUB_SUBSCRIPTIONS with SSEHUB_WORKERS 3 needs a Redis --transport/,
    );
  });
});
