/**
 * `ssehub serve --transport file:…` killed with SIGKILL, 50 times, while
 * four publishers publish over HTTP and one subscriber (the project's
 * EventSource client) follows along, resuming after each restart with
 * Last-Event-ID. Every update whose POST got a 200 is delivered exactly
 * once, in each publisher's order, across all the restarts; every
 * reconnection is answered with the id it asked for (found in the durable
 * history), never `earliest`.
 *
 * The hub comes back on the same port (picked once). Bounded: the kills
 * come after a few acknowledged updates each, and every wait has a limit.
 * Most of the time is the 50 start-ups of the CLI through tsx (about 1.3 s
 * each on a busy 2-core machine).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventSource } from '../../src/client/index.js';
import { freePort, serve, type Served } from '../cli/helpers.js';
import { publish, publisherToken, SECRET, until } from '../hub-server/helpers.js';

const KILLS = 50;
const PUBLISHERS = 4;
const TOPIC = 'https://example.com/crash';

const dir = mkdtempSync(join(tmpdir(), 'ssehub-file-crash-'));
let hub: Served | undefined;

after(() => {
  hub?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

void describe(
  'file transport: SIGKILL in a loop under publishers and a subscriber',
  { timeout: 240_000 },
  () => {
    void it(`${KILLS} kills: every acknowledged update delivered exactly once, in order`, async (t) => {
      const started = Date.now();
      const port = await freePort();
      const start = (): Promise<Served> =>
        serve([
          '--port',
          String(port),
          '--jwt-key',
          SECRET,
          '--anonymous',
          '--transport',
          `file:${dir}`,
          '--history-size',
          '100000',
        ]);
      hub = await start();
      const base = `http://127.0.0.1:${port}`;
      const hubUrl = `${base}/.well-known/mercure`;
      const token = await publisherToken();

      // The subscriber: what it received, and what each (re)connection asked and got.
      const received: string[] = [];
      const resumes: { asked: string | null; answered: string | null }[] = [];
      let opens = 0;
      const source = new EventSource(`${hubUrl}?topic=${encodeURIComponent(TOPIC)}`, {
        reconnectionTime: 50,
        maxRetries: 10_000,
        fetch: async (input, init) => {
          const asked = new Headers(init.headers).get('last-event-id');
          const response = await fetch(input, init);
          resumes.push({ asked, answered: response.headers.get('last-event-id') });
          return response;
        },
      });
      source.addEventListener('open', () => opens++);
      source.addEventListener('message', (event) => {
        received.push(event.lastEventId);
      });
      await until(() => opens === 1, 'the subscriber to connect', 10_000);

      // Publishers: each one POST at a time; only a 200 counts.
      const acked: string[][] = Array.from({ length: PUBLISHERS }, () => []);
      let cut = 0;
      let stop = false;
      const publishers = acked.map(async (mine, p) => {
        for (let i = 0; !stop; i++) {
          try {
            const response = await publish(hubUrl, { topic: TOPIC, data: `${p}:${i}` }, token);
            if (response.status === 200) mine.push(response.text);
          } catch {
            cut++; // refused while the hub is down, or cut by the kill
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      });
      const total = (): number => acked.reduce((sum, a) => sum + a.length, 0);

      for (let kill = 0; kill < KILLS; kill++) {
        const before = total();
        // A few acknowledged updates, then the kill lands mid-traffic.
        // The subscriber is back (kill k finds it on its (k + 1)th connection),
        // so every kill cuts a live stream that must then resume.
        await until(
          () => opens >= kill + 1 && total() >= before + 6,
          `the subscriber back and updates before kill ${kill + 1}`,
          15_000,
        );
        hub.child.kill('SIGKILL');
        await hub.exit;
        hub = await start();
      }
      const last = total();
      await until(() => total() >= last + 20, 'updates after the last restart', 15_000);
      stop = true;
      await Promise.all(publishers);
      const all = acked.flat();
      await until(
        () => all.every((id) => received.includes(id)),
        'every acknowledged update to arrive',
        15_000,
      );
      source.close();

      // Exactly once: no duplicate, and nothing but what was published (a POST
      // cut by a kill may have been stored without its answer).
      assert.equal(new Set(received).size, received.length, 'no duplicate');
      assert.ok(received.length - all.length <= cut, 'no update out of nowhere');
      // In order: each publisher's acknowledged updates, in the order it published them.
      for (const mine of acked) {
        const at = mine.map((id) => received.indexOf(id));
        assert.ok(!at.includes(-1), 'no gap');
        assert.deepEqual(
          at,
          [...at].sort((a, b) => a - b),
          'in publish order',
        );
      }
      // Each reconnection resumed after the id it asked for (the history survived).
      const reconnections = resumes.slice(1);
      assert.ok(reconnections.length >= KILLS, `${reconnections.length} reconnections`);
      for (const resume of reconnections) {
        assert.notEqual(resume.asked, null, 'the client sent Last-Event-ID');
        assert.equal(resume.answered, resume.asked, 'the hub found it: not earliest');
      }
      const seconds = (Date.now() - started) / 1000;
      t.diagnostic(
        `${KILLS} kills in ${seconds.toFixed(1)} s: ${all.length} acknowledged, ${received.length} received, ${cut} publishes cut or refused, ${reconnections.length} reconnections`,
      );
    });
  },
);
