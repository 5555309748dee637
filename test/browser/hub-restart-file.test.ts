/**
 * A hub on the file transport (`--transport file:…`, no Redis) is killed
 * (SIGKILL) and started again on the same port and the same store while
 * updates keep coming: the dashboard in Chromium reconnects by itself (its
 * native EventSource, with Last-Event-ID) and says it resumed after an id;
 * the page's own stream has no gap and no duplicate, which only a history
 * that survived the kill can give; and the restarted hub answers a resume
 * from an id published before the kill with that id, not `earliest`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, serve, type Served } from '../cli/helpers.js';
import { publish, until } from '../hub-server/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot } from './helpers.js';

const skip = browserSkip();
const TOPIC = 'https://example.com/sequence';

/** What the page's own EventSource received, in order. */
function receivedIds(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { received: string[] }).received.slice());
}

void describe(
  'hub killed and restarted under a page (file transport)',
  { skip, timeout: 120_000 },
  () => {
    const store = mkdtempSync(join(tmpdir(), 'ssehub-browser-file-'));
    let browser: Browser | undefined;
    let hub: Served | undefined;

    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      hub?.child.kill('SIGKILL');
      await hub?.exit;
      rmSync(store, { recursive: true, force: true });
    });

    void it('the page reconnects and resumes: no gap, no duplicate', async () => {
      const port = await freePort();
      const start = (): Promise<Served> =>
        serve([
          '--dev',
          '--demo',
          '--demo-notification-interval',
          '0',
          '--demo-price-interval',
          '100',
          '--port',
          String(port),
          '--transport',
          `file:${store}`,
        ]);
      hub = await start();
      const token = String(
        hub.logs.find((l) => typeof l.publisherToken === 'string')?.publisherToken,
      );
      const { page, problems } = await openPage(browser as Browser);
      await page.goto(hub.base);
      await page.waitForSelector('#conn[data-state="open"]');
      // The page's own stream on the sequence topic, next to the dashboard's.
      await page.evaluate((topic) => {
        const target = window as unknown as { received: string[]; opens: number };
        target.received = [];
        target.opens = 0;
        const url = new URL('/.well-known/mercure', location.href);
        url.searchParams.append('topic', topic);
        const source = new EventSource(url);
        source.onopen = () => {
          target.opens++;
        };
        source.onmessage = (event) => {
          target.received.push(event.lastEventId);
        };
      }, TOPIC);
      await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 1);

      const acked: string[] = [];
      let unanswered = 0;
      const stop = new AbortController();
      const hubUrl = `${hub.base}/.well-known/mercure`;
      const publishing = (async () => {
        for (let i = 0; !stop.signal.aborted; i++) {
          try {
            const response = await publish(hubUrl, { topic: TOPIC, data: String(i) }, token);
            if (response.status === 200) acked.push(response.text);
          } catch {
            unanswered++; // the hub is down (refused) or died mid-request
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      await until(() => acked.length >= 50, '50 updates before the kill', 15_000);
      // The dashboard's own stream has had demo prices too.
      await page.waitForFunction(() => document.querySelector('#prices [data-points]') !== null);

      hub.child.kill('SIGKILL');
      await hub.exit;
      const atKill = acked.length;
      await page.waitForSelector('#conn:not([data-state="open"])');
      await new Promise((resolve) => setTimeout(resolve, 500));
      hub = await start();
      // The restarted hub found an id published before the kill in its history.
      const beforeKill = acked[atKill - 1] as string;
      const resumed = await fetch(
        `${hub.base}/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`,
        {
          headers: { 'last-event-id': beforeKill },
          signal: AbortSignal.timeout(5000),
        },
      );
      assert.equal(
        resumed.headers.get('last-event-id'),
        beforeKill,
        'resumed after it, not earliest',
      );
      await resumed.body?.cancel();
      await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 2, null, {
        timeout: 20_000,
      });
      await until(() => acked.length >= atKill + 50, '50 updates after the restart', 15_000);
      stop.abort();
      await publishing;

      await page.waitForFunction(
        (count) => (window as unknown as { received: string[] }).received.length >= count,
        acked.length,
      );
      const received = await receivedIds(page);
      assert.equal(new Set(received).size, received.length, 'no duplicate');
      const positions = acked.map((id) => received.indexOf(id));
      assert.ok(!positions.includes(-1), 'no gap: every acknowledged update arrived');
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
        'in publish order',
      );
      // A publish cut by the kill may have been stored without an answer.
      assert.ok(received.length - acked.length <= Math.min(unanswered, 1));

      // The dashboard's own connection came back and says it resumed.
      await page.waitForSelector('#conn[data-state="open"]');
      assert.match((await page.textContent('#conn')) ?? '', /resumed after urn:uuid:/);
      await screenshot(page, 'hub-restart-file');
      assert.deepEqual(problems.cspViolations, []);
    });
  },
);
