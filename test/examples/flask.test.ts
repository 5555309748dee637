/**
 * examples/flask runs as a user runs it: the Flask app (Debian's
 * python3-flask, python3-redis, python3-apscheduler) publishes on a schedule
 * with `sse.publish(..., type='dataUpdate')`, `ssehub serve --flask-sse`
 * serves the stream, and the scheduled events arrive at an EventSource, in
 * Node and (where Chromium is installed) in the app's own page.
 *
 * Without Python and those modules the suite is skipped with one loud line,
 * except under `CI=true` (`.ci/run` installs them), where it must run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { serve, freePort, type Served } from '../cli/helpers.js';
import { browserSkip, launchBrowser } from '../browser/helpers.js';
import { Subscriber, within } from '../hub-server/helpers.js';
import { requirePython } from '../helpers/python.js';
import { REDIS_URL, redisPythonSkip, uniqueChannel } from '../bridges/flask-sse/helpers.js';

const APP = fileURLToPath(new URL('../../examples/flask/app.py', import.meta.url));
const MODULES = ['flask', 'redis', 'apscheduler'];
const skip = await redisPythonSkip(MODULES);

interface Update {
  count: number;
  value: number;
  time: string;
}

void describe(
  'examples/flask: Flask + APScheduler publish, ssehub streams',
  { skip, timeout: 120_000 },
  () => {
    const channel = uniqueChannel('example');
    const children: ChildProcess[] = [];
    let hub: Served;
    let flaskBase: string;

    before(async () => {
      const port = await freePort();
      flaskBase = `http://127.0.0.1:${port}`;
      hub = await serve([
        '--dev',
        '--flask-sse',
        REDIS_URL,
        '--flask-sse-channels',
        channel,
        '--cors-origin',
        flaskBase,
      ]);
      const app = spawn(requirePython(MODULES), [APP], {
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          REDIS_URL,
          SSE_CHANNEL: channel,
          PUBLISH_INTERVAL: '0.3',
          STREAM_URL: `${hub.base}/stream`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(app);
      let output = '';
      app.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      app.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      // Flask's development server says where it runs once it listens.
      await within(
        new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (output.includes(`Running on ${flaskBase}`)) resolve();
          };
          app.stdout.on('data', check);
          app.stderr.on('data', check);
          void once(app, 'exit').then(() => {
            reject(new Error(`app.py exited: ${output}`));
          });
        }),
        'the Flask app to listen',
        30_000,
      );
    });

    after(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    });

    void it('the scheduled sse.publish() calls arrive at an EventSource on ssehub', async () => {
      const subscriber = new Subscriber(
        `${hub.base}/stream?channel=${encodeURIComponent(channel)}`,
        {
          types: ['dataUpdate'],
        },
      );
      try {
        const updates: Update[] = [];
        for (let i = 0; i < 3; i++) {
          const event = await within(
            subscriber.events.next('a scheduled update'),
            'a scheduled update',
            10_000,
          );
          assert.equal(event.type, 'dataUpdate');
          assert.match(event.lastEventId, /^urn:uuid:/);
          // Flask's JSON, as flask-sse's blueprint writes it: sorted keys, ", " and ": ".
          assert.match(event.data, /^\{"count": \d+, "time": "[^"]+", "value": [\d.]+\}$/);
          updates.push(JSON.parse(event.data) as Update);
        }
        const [a, b, c] = updates.map((u) => u.count);
        assert.deepEqual(
          [b, c],
          [(a ?? 0) + 1, (a ?? 0) + 2],
          'one event per scheduled run, in order',
        );
      } finally {
        subscriber.close();
      }
    });

    void it("the app's page is the seed's: new EventSource(…/stream?channel=…) + addEventListener('dataUpdate')", async () => {
      const page = await (await fetch(`${flaskBase}/`)).text();
      assert.match(page, /new EventSource\(/);
      assert.ok(page.includes(JSON.stringify(`${hub.base}/stream`)), 'STREAM_URL is in the page');
      assert.match(page, /addEventListener\('dataUpdate'/);
    });

    void it(
      'the page shows updates in Chromium (cross-origin EventSource to ssehub)',
      { skip: browserSkip() },
      async () => {
        const browser = await launchBrowser();
        try {
          const page = await browser.newPage();
          page.setDefaultTimeout(15_000);
          const errors: string[] = [];
          page.on('pageerror', (error) => errors.push(String(error)));
          await page.goto(`${flaskBase}/`);
          await page.waitForFunction(() => document.querySelectorAll('#readings li').length >= 2);
          assert.equal(await page.textContent('#status'), 'live');
          const first = await page.textContent('#readings li');
          assert.match(first ?? '', /^#\d+ .+: [\d.]+ \(event id urn:uuid:/);
          assert.deepEqual(errors, []);
        } finally {
          await browser.close();
        }
      },
    );
  },
);
