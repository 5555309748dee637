/**
 * A hub on the memory transport is stopped and started again on the same
 * port under the dashboard: the restarted hub no longer has the id the
 * page's EventSource resends, answers `Last-Event-ID: earliest` and replays
 * nothing. The page must say so (not "resumed after urn:uuid:…"), and its
 * price charts must break each line at the restart instead of joining the
 * old random walk to the new one with a vertical cliff.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, serve, type Served } from '../cli/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot } from './helpers.js';

const skip = browserSkip();

/** Each price tile's symbol, points and gaps, as the page shows them. */
function tiles(page: Page): Promise<{ symbol: string; points: number; gaps: string }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#prices .tile')].map((tile) => ({
      symbol: tile.dataset.symbol ?? '',
      points: Number(tile.dataset.points),
      gaps: tile.dataset.gaps ?? '0',
    })),
  );
}

async function subscribers(hub: Served): Promise<number> {
  const health = (await (await fetch(`${hub.base}/healthz`)).json()) as { subscribers: number };
  return health.subscribers;
}

void describe(
  'hub restarted under the dashboard (memory transport)',
  { skip, timeout: 90_000 },
  () => {
    let browser: Browser | undefined;
    let hub: Served | undefined;

    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      hub?.child.kill('SIGKILL');
    });

    void it('says the history was lost and breaks the price lines at the restart', async () => {
      const port = await freePort();
      const start = (): Promise<Served> =>
        serve([
          '--dev',
          '--demo',
          '--demo-notification-interval',
          '0',
          '--demo-price-interval',
          '200',
          '--port',
          String(port),
        ]);
      hub = await start();
      const { page, problems } = await openPage(browser as Browser);
      await page.goto(hub.base);
      await page.waitForSelector('#conn[data-state="open"]');
      await page.waitForFunction(() => {
        const all = [...document.querySelectorAll<HTMLElement>('#prices .tile')];
        return all.length === 4 && all.every((tile) => Number(tile.dataset.points) >= 3);
      });

      // The debug console's own stream (every topic) resumes the same way.
      await page.click('#console-subscribe');
      await page.waitForSelector('#console-state[data-state="open"]');
      await page.waitForSelector('#console-log li');

      hub.child.kill('SIGTERM');
      assert.equal(await hub.exit, 0);
      await page.waitForSelector('#conn:not([data-state="open"])');
      const beforeRestart = await tiles(page);
      assert.ok(beforeRestart.every((tile) => tile.gaps === '0'));
      hub = await start();

      await page.waitForSelector('#conn-detail:has-text("history lost")', { timeout: 20_000 });
      assert.equal(await page.getAttribute('#conn', 'data-state'), 'open');
      assert.equal(
        await page.textContent('#conn-detail'),
        'history lost: updates published meanwhile are missing',
      );
      assert.match(
        (await page.getAttribute('#conn-detail', 'title')) ?? '',
        /^the hub no longer had urn:uuid:[0-9a-f-]+, the last update this page saw/,
      );
      await page.waitForSelector('#console-state:has-text("history lost")', { timeout: 10_000 });
      assert.equal(
        await page.textContent('#console-state'),
        'subscribed · history lost: updates published meanwhile are missing',
      );
      // One gap per chart, after its last point before the restart; new
      // points keep coming after it.
      await page.waitForFunction(
        (points) =>
          [...document.querySelectorAll<HTMLElement>('#prices .tile')].every(
            (tile) => Number(tile.dataset.points) >= (points[tile.dataset.symbol ?? ''] ?? 0) + 3,
          ),
        Object.fromEntries(beforeRestart.map((tile) => [tile.symbol, tile.points])),
      );
      const afterRestart = await tiles(page);
      assert.deepEqual(
        afterRestart.map(({ symbol, gaps }) => [symbol, gaps]),
        beforeRestart.map(({ symbol }) => [symbol, '1']),
      );
      // The page asked the hub with one more request per stream, and closed them:
      // its streams are the page's, its console's and its "Connected now" panel's
      // (subscription events, on with --dev).
      let count = await subscribers(hub);
      for (let tries = 0; count !== 3 && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        count = await subscribers(hub);
      }
      assert.equal(count, 3, 'three subscribers: the page, its console and its panel');
      await screenshot(page, 'hub-restart-memory');
      assert.deepEqual(problems.cspViolations, []);
    });
  },
);
