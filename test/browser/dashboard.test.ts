/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core)
 * against a real hub server running the demo publishers: charts gain points,
 * the monitor moves, notifications published from the form appear, refusals
 * show the hub's own message, the page holds one connection (two while the
 * debug console is subscribed), and a dropped connection resumes from the
 * last event id.
 *
 * Screenshots land in test-artifacts/browser/ (gitignored).
 * `UPDATE_DOCS_SCREENSHOT=1` also rewrites docs/dashboard.png.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startDemo, NOTIFICATIONS_TOPIC, type DemoOptions } from '../../src/demo/index.js';
import {
  OTHER_SECRET,
  publish,
  startHub,
  token,
  until,
  type TestHub,
} from '../hub-server/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot, VIEWPORTS } from './helpers.js';
import { readHistory } from '../helpers/history.js';

/** A hub server in development mode (dev tokens for the page) running the demo. */
async function startDashboardHub(
  demoOptions: DemoOptions,
  historySize?: number,
): Promise<{ hub: TestHub; publisherToken: string; stop(): Promise<void> }> {
  const publisherToken = await token({ publish: ['*'], subscribe: ['*'] });
  const subscriberToken = await token({ subscribe: ['*'] });
  const hub = await startHub({
    anonymous: true,
    devTokens: { publisherToken, subscriberToken },
    historySize,
  });
  const demo = startDemo(hub.hubServer.hub, demoOptions);
  return {
    hub,
    publisherToken,
    async stop() {
      demo.stop();
      await hub.close();
    },
  };
}

/** Waits until the page's main connection is open. */
async function connected(page: Page): Promise<void> {
  await page.waitForSelector('#conn[data-state="open"]');
}

/** Points of each price chart, by symbol. */
function pricePoints(page: Page): Promise<Record<string, number>> {
  return page.$$eval('#prices .tile', (tiles): Record<string, number> =>
    Object.fromEntries(
      tiles.map((tile) => [tile.getAttribute('data-symbol') ?? '', Number(tile.dataset.points)]),
    ),
  );
}

/** The monitor's figures as shown, by key. */
function vitalTexts(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#vitals .vital', (vitals): Record<string, string> =>
    Object.fromEntries(
      vitals.map((vital) => [
        vital.getAttribute('data-key') ?? '',
        vital.querySelector('.value')?.textContent ?? '',
      ]),
    ),
  );
}

const SYMBOLS = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'];

void describe('dashboard', { skip: browserSkip(), timeout: 120_000 }, () => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof startDashboardHub>> | undefined;
  const sockets = new Set<Socket>();

  before(async () => {
    server = await startDashboardHub({
      symbols: SYMBOLS,
      priceInterval: 100,
      monitorInterval: 200,
      notificationInterval: false,
    });
    server.hub.hubServer.listener.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens the dashboard; the page is closed (and checked for problems) after `check`. */
  async function withDashboard(
    viewport: { width: number; height: number },
    check: (page: Page) => Promise<void>,
    expectedErrors?: RegExp,
  ): Promise<void> {
    assert.ok(browser && server);
    const { context, page, problems } = await openPage(browser, { viewport });
    try {
      await page.goto(`${server.hub.base}/`);
      await connected(page);
      await check(page);
      assert.deepEqual(problems.cspViolations, [], 'no CSP violation');
      assert.deepEqual(
        problems.errors.filter((error) => !expectedErrors?.test(error)),
        [],
        'no error in the page',
      );
    } finally {
      await context.close();
    }
  }

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    void it(`at ${name} width (${viewport.width}x${viewport.height}): every chart gains points, the monitor moves`, async () => {
      await withDashboard(viewport, async (page) => {
        await page.waitForFunction(
          (count) =>
            [...document.querySelectorAll<HTMLElement>('#prices .tile')].filter(
              (tile) => Number(tile.dataset.points) >= 3,
            ).length === count,
          SYMBOLS.length,
        );
        const first = await pricePoints(page);
        assert.deepEqual(Object.keys(first), SYMBOLS, 'one tile per symbol, in order');
        await page.waitForFunction(
          (before) =>
            [...document.querySelectorAll<HTMLElement>('#prices .tile')].every(
              (tile) => Number(tile.dataset.points) > (before[tile.dataset.symbol ?? ''] ?? 0),
            ),
          first,
        );
        // uPlot drew each chart on a canvas, as wide as its tile.
        const charts = await page.$$eval('#prices .tile .chart', (nodes) =>
          nodes.map((node) => ({
            canvas: node.querySelector('canvas')?.getBoundingClientRect().width ?? 0,
            box: node.getBoundingClientRect().width,
          })),
        );
        assert.equal(charts.length, SYMBOLS.length);
        for (const { canvas, box } of charts) {
          assert.ok(canvas > 0 && Math.abs(canvas - box) <= 2, `canvas ${canvas} in ${box}`);
        }
        for (const symbol of SYMBOLS) {
          const tile = page.locator(`#prices .tile[data-symbol="${symbol}"]`);
          assert.match((await tile.locator('.last').textContent()) ?? '', /^\d[\d,]*\.\d\d$/);
          assert.match((await tile.locator('.change').textContent()) ?? '', /since open$/);
        }

        // The monitor: figures shown, then changing, sparklines filling.
        await page.waitForFunction(() => document.querySelectorAll('#vitals .vital').length === 8);
        const shown = await vitalTexts(page);
        assert.match(shown.subscribers ?? '', /^\d+$/);
        assert.ok(Number(shown.subscribers) >= 1, 'this page is a subscriber');
        assert.match(shown.updates ?? '', /^[\d.,]+$/);
        assert.match(shown.bytes ?? '', /B\/s$/);
        assert.match(shown.rss ?? '', /MB$/);
        assert.match(shown.loop ?? '', / ms$/);
        assert.match(shown.cpu ?? '', / %$/);
        await page.waitForFunction(
          (before) =>
            [...document.querySelectorAll('#vitals .vital .value')]
              .map((node) => node.textContent)
              .join('|') !== before,
          Object.values(shown).join('|'),
        );
        const updatesPoints = await page.getAttribute(
          '#vitals .vital[data-key="updates"]',
          'data-points',
        );
        await page.waitForFunction(
          (before) =>
            Number(
              document.querySelector<HTMLElement>('#vitals .vital[data-key="updates"]')?.dataset
                .points,
            ) > before,
          Number(updatesPoints),
        );

        // Nothing wider than the screen: no sideways scrolling.
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.ok(overflow <= 0, `page wider than the viewport by ${overflow}px`);
        await screenshot(page, `dashboard-${name}`);
      });
    });
  }

  void it('in dark mode the page follows prefers-color-scheme', async () => {
    assert.ok(browser && server);
    const { context, page } = await openPage(browser, { colorScheme: 'dark' });
    try {
      await page.goto(`${server.hub.base}/`);
      await connected(page);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, 'rgb(13, 17, 23)');
      await page.waitForSelector('#prices .tile canvas');
      await screenshot(page, 'dashboard-dark');
    } finally {
      await context.close();
    }
  });

  void it('a notification published from the form appears in the feed, typed, as text', async () => {
    await withDashboard(VIEWPORTS.laptop, async (page) => {
      const message = 'Deploy <b>finished</b> & verified';
      await page.selectOption('#notify-type', 'warning');
      await page.fill('#notify-message', message);
      await page.click('#notify-submit');
      const item = page.locator('#feed li[data-type="warning"]').first();
      await item.waitFor();
      assert.equal(await item.locator('.note-message').textContent(), message);
      assert.equal(await page.locator('#feed b').count(), 0, 'never parsed as HTML');
      assert.match((await page.textContent('#notify-result')) ?? '', /^published urn:uuid:/);
      assert.equal(await page.getAttribute('#notify-result', 'class'), 'result ok');

      // An alert from another publisher (HTTP API) looks different.
      assert.ok(server);
      const sent = await publish(
        server.hub.hubUrl,
        { topic: NOTIFICATIONS_TOPIC, type: 'alert', data: 'Error rate above 5 %' },
        server.publisherToken,
      );
      assert.equal(sent.status, 200);
      const alert = page.locator(`#feed li[data-id="${sent.text}"]`);
      await alert.waitFor();
      assert.equal(await alert.getAttribute('data-type'), 'alert');
      const look = (selector: string) =>
        page.$eval(selector, (node) => {
          const style = getComputedStyle(node);
          return `${style.backgroundColor} ${style.borderLeftColor} ${style.borderLeftWidth}`;
        });
      assert.notEqual(
        await look(`#feed li[data-id="${sent.text}"]`),
        await look('#feed li[data-type="warning"]'),
      );
      await screenshot(page, 'dashboard-notifications');
    });
  });

  void it("a refused publish shows the hub's message: a token signed with another key is an invalid token", async () => {
    assert.ok(browser && server);
    const badToken = await token({ publish: ['*'], key: OTHER_SECRET });
    const expected = await publish(
      server.hub.hubUrl,
      { topic: NOTIFICATIONS_TOPIC, data: 'x' },
      badToken,
    );
    assert.equal(expected.status, 401);
    const { context, page, problems } = await openPage(browser);
    try {
      await page.route('**/dev-tokens.json', (route) =>
        route.fulfill({
          contentType: 'application/json',
          body: JSON.stringify({ publisherToken: badToken }),
        }),
      );
      await page.goto(`${server.hub.base}/`);
      await connected(page);
      await page.click('#notify-submit');
      await page.waitForSelector('#notify-result.error');
      const shown = (await page.textContent('#notify-result')) ?? '';
      assert.equal(shown, `401 Unauthorized: ${expected.text.trim()}`);
      // The hub says a token failed, never why (RFC 6750 invalid_token; its log says why).
      assert.equal(shown, '401 Unauthorized: invalid token');
      // The refused POST is the only error the console reports.
      assert.deepEqual(problems.cspViolations, []);
      assert.ok(
        problems.errors.every((error) => /401/.test(error)),
        problems.errors.join('\n'),
      );
    } finally {
      await context.close();
    }
  });

  void it("the debug console publishes any update and shows the hub's message for an invalid field", async () => {
    await withDashboard(
      VIEWPORTS.laptop,
      async (page) => {
        // Subscribe: a second connection while in use.
        await page.fill('#console-topics', 'https://example.com/books/{id}');
        await page.fill('#console-types', 'message update');
        await page.click('#console-subscribe');
        await page.waitForSelector('#console-state[data-state="open"]');

        await page.fill('#publish-topic', 'https://example.com/books/1');
        await page.fill('#publish-data', 'line one\nline two');
        await page.fill('#publish-type', 'update');
        await page.fill('#publish-id', 'book-1-v2');
        await page.check('#publish-private');
        await page.click('#publish-submit');
        await page.waitForSelector('#publish-result.ok');
        assert.equal(await page.textContent('#publish-result'), 'published book-1-v2');
        const entry = page.locator('#console-log li').first();
        await entry.waitFor();
        assert.equal(await entry.locator('.type').textContent(), 'update');
        assert.equal(await entry.locator('.id').textContent(), 'id book-1-v2');
        assert.equal(await entry.locator('pre').textContent(), 'line one\nline two');
        assert.match((await entry.locator('.time').textContent()) ?? '', /^\d\d:\d\d:\d\d\.\d{3}$/);

        // Refused: an id starting with "#"; the message is the hub's own.
        assert.ok(server);
        const expected = await publish(
          server.hub.hubUrl,
          { topic: 'https://example.com/books/1', id: '#nope' },
          server.publisherToken,
        );
        assert.equal(expected.status, 400);
        await page.fill('#publish-id', '#nope');
        await page.click('#publish-submit');
        await page.waitForSelector('#publish-result.error');
        assert.equal(
          await page.textContent('#publish-result'),
          `400 Bad Request: ${expected.text.trim()}`,
        );
        await screenshot(page, 'dashboard-console');
      },
      /status of 400/,
    );
  });

  void it('one connection for the page; the debug console adds one only while subscribed', async () => {
    assert.ok(server);
    const hub = server.hub.hubServer.hub;
    await until(() => hub.subscriberCount === 0, 'earlier pages to disconnect');
    await withDashboard(VIEWPORTS.laptop, async (page) => {
      await until(() => hub.subscriberCount === 1, 'one subscriber for the page');
      await page.click('#console-subscribe');
      await page.waitForSelector('#console-state[data-state="open"]');
      await until(() => hub.subscriberCount === 2, 'the console subscribed');
      await page.click('#console-stop');
      assert.equal(await page.getAttribute('#console-state', 'data-state'), 'idle');
      await until(() => hub.subscriberCount === 1, 'the console closed its connection');
    });
  });

  void it('after a dropped connection the page reconnects and says it resumed after the last event id', async () => {
    await withDashboard(
      VIEWPORTS.laptop,
      async (page) => {
        await page.waitForSelector('#prices .tile');
        // Record every state the status goes through, and the ids the
        // browser sends as Last-Event-ID.
        await page.evaluate(() => {
          const conn = document.getElementById('conn');
          const states: string[] = [];
          (window as unknown as { states: string[] }).states = states;
          new MutationObserver(() => states.push(conn?.dataset.state ?? '')).observe(conn as Node, {
            attributes: true,
            attributeFilter: ['data-state'],
          });
        });
        const sent: Promise<string | undefined>[] = [];
        page.on('request', (request) => {
          if (request.resourceType() !== 'eventsource') return;
          sent.push(request.allHeaders().then((headers) => headers['last-event-id']));
        });
        const before = await pricePoints(page);
        for (const socket of sockets) socket.destroy();
        await page.waitForSelector('#conn-detail:has-text("resumed after")', { timeout: 10_000 });
        const states = await page.evaluate(
          () => (window as unknown as { states: string[] }).states,
        );
        assert.deepEqual(states, ['reconnecting', 'open']);
        const detail = (await page.textContent('#conn-detail')) ?? '';
        const id = /^resumed after (urn:uuid:[0-9a-f-]+)$/.exec(detail)?.[1];
        assert.ok(id, detail);
        assert.deepEqual(await Promise.all(sent), [id], 'EventSource resent the id the page shows');
        // The hub knew it: replay from there, no gap.
        assert.ok(server);
        assert.equal((await readHistory(server.hub.hubServer.hub.transport, id)).found, true);
        await page.waitForFunction(
          (points) =>
            [...document.querySelectorAll<HTMLElement>('#prices .tile')].every(
              (tile) => Number(tile.dataset.points) > (points[tile.dataset.symbol ?? ''] ?? 0),
            ),
          before,
        );
        await screenshot(page, 'dashboard-resumed');
      },
      /ERR_INCOMPLETE_CHUNKED_ENCODING/,
    );
  });
});

// `UPDATE_DOCS_SCREENSHOT=1`: rewrite docs/dashboard.png (laptop width, charts
// filled by a fast demo, a few notifications). Not registered otherwise.
if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
  void describe('docs screenshot', { skip: browserSkip(), timeout: 120_000 }, () => {
    void it('writes docs/dashboard.png', async () => {
      const server = await startDashboardHub(
        { priceInterval: 60, monitorInterval: 120, notificationInterval: false },
        5000,
      );
      const browser = await launchBrowser();
      try {
        const { page } = await openPage(browser, { viewport: VIEWPORTS.laptop });
        await page.goto(`${server.hub.base}/`);
        await connected(page);
        for (const [type, data] of [
          ['info', 'Nightly export finished: 12,408 rows written.'],
          ['alert', 'Error rate of the checkout API above 5 %.'],
          ['warning', 'Replica lag above 2 s on db-2.'],
        ] as const) {
          await publish(
            server.hub.hubUrl,
            { topic: NOTIFICATIONS_TOPIC, type, data },
            server.publisherToken,
          );
        }
        await page.fill('#notify-message', 'Deployment 2024.11.3 rolled out to every region.');
        await page.click('#notify-submit');
        await page.waitForFunction(
          () =>
            [...document.querySelectorAll<HTMLElement>('#prices .tile')].every(
              (tile) => Number(tile.dataset.points) >= 150,
            ) && document.querySelectorAll('#prices .tile').length > 0,
          undefined,
          { timeout: 30_000 },
        );
        await page.click('#console-subscribe');
        await page.waitForSelector('#console-log li:nth-child(6)');
        await page.click('#console-stop');
        await page.screenshot({
          path: fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url)),
          fullPage: true,
        });
      } finally {
        await browser.close();
        await server.stop();
      }
    });
  });
}
