/**
 * The examples a user copies must work: each runs as its own process (tsx,
 * importing the package by name) against a real hub, bounded in time.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NOTIFICATIONS_TOPIC, PRICES_SELECTOR } from '../../src/demo/index.js';
import {
  OTHER_SECRET,
  SECRET,
  startHub,
  Subscriber,
  subscribeUrl,
  within,
} from '../hub-server/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs an example with tsx; resolves to its exit code and output. */
function runExample(
  file: string,
  args: string[],
  env: Record<string, string>,
): {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  done: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }));
  return { child, stdout: () => stdout, done };
}

void describe('examples', { timeout: 60_000 }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  void it("notify.ts publishes a typed notification over HTTP; a bad key is refused with the hub's reason", async () => {
    const hub = await startHub({ anonymous: true });
    try {
      const subscription = hub.hubServer.hub.subscribe({ topics: [NOTIFICATIONS_TOPIC] });
      await subscription.ready;
      const run = runExample('examples/notify.ts', ['warning', 'Disk', 'full'], {
        HUB_URL: hub.hubUrl,
        JWT_KEY: SECRET,
      });
      children.push(run.child);
      const { code, stderr } = await within(run.done, 'notify.ts to exit', 20_000);
      assert.equal(code, 0, stderr);
      const next = await within(subscription.next(), 'the notification');
      if (next.done === true) assert.fail('the subscription ended');
      assert.equal(next.value.type, 'warning');
      assert.equal(next.value.data, 'Disk full');
      assert.equal(run.stdout().trim(), `published ${next.value.id}`);
      subscription.close();

      const refused = runExample('examples/notify.ts', ['alert', 'x'], {
        HUB_URL: hub.hubUrl,
        JWT_KEY: OTHER_SECRET,
      });
      children.push(refused.child);
      const result = await within(refused.done, 'notify.ts to exit', 20_000);
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim(), 'refused: 401 invalid token');
    } finally {
      await hub.close();
    }
  });

  void it('price-ticker.ts serves the hub and publishes prices in process', async () => {
    const run = runExample('examples/price-ticker.ts', [], { PORT: '0', HOST: '127.0.0.1' });
    children.push(run.child);
    const started = within(
      new Promise<string>((resolve) => {
        run.child.stdout.on('data', () => {
          const port = /price ticker on http:\/\/localhost:(\d+)\//.exec(run.stdout())?.[1];
          if (port !== undefined) resolve(port);
        });
      }),
      'the ticker to listen',
      20_000,
    );
    const port = await started;
    const subscriber = new Subscriber(
      subscribeUrl(`http://127.0.0.1:${port}/.well-known/mercure`, [PRICES_SELECTOR]),
      { types: ['price'] },
    );
    try {
      const event = await subscriber.events.next('a price');
      assert.equal(event.type, 'price');
      const tick = JSON.parse(event.data) as { symbol: string; price: number; open: number };
      assert.ok(['ACME', 'GLOBEX', 'INITECH'].includes(tick.symbol));
      assert.ok(tick.price > 0 && tick.open > 0);
    } finally {
      subscriber.close();
    }
    run.child.kill('SIGTERM');
    const { code, stderr } = await within(run.done, 'the ticker to stop on SIGTERM', 10_000);
    assert.equal(code, 0, stderr);
  });
});
