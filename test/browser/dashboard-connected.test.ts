/**
 * The dashboard's "Connected now" panel in a real browser, against a hub
 * server with active subscriptions (as `ssehub serve --dev` runs it): the
 * page lists the connections from the subscription API, then shows joins and
 * leaves live from the `mercure` events; without active subscriptions it says
 * they are off and opens no connection for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startHub, Subscriber, subscribeUrl, token, type TestHub } from '../hub-server/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot } from './helpers.js';

async function devHub(subscriptions: boolean): Promise<TestHub> {
  const publisherToken = await token({ publish: ['*'], subscribe: ['*'] });
  const subscriberToken = await token({ subscribe: ['*'] });
  return startHub({
    anonymous: true,
    subscriptions,
    devTokens: { publisherToken, subscriberToken },
  });
}

/** The matches the panel lists, sorted. */
function listed(page: Page): Promise<string[]> {
  return page.$$eval('#connected-list .who-match', (items) =>
    items.map((item) => item.textContent).sort(),
  );
}

void describe('dashboard: Connected now', { skip: browserSkip(), timeout: 120_000 }, () => {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  void it('lists who is connected, then shows a subscriber joining and leaving', async () => {
    assert.ok(browser);
    const hub = await devHub(true);
    const { context, page, problems } = await openPage(browser);
    try {
      await page.goto(`${hub.base}/`);
      await page.waitForSelector('#connected-status[data-state="open"]');
      // The page itself: its main stream (3 selectors) and the panel's own.
      await page.waitForFunction(
        () => document.querySelectorAll('#connected-list .who').length === 2,
      );
      assert.ok((await listed(page)).includes('https://ssehub.dev/demo/monitor'));

      const alice = new Subscriber(subscribeUrl(hub.hubUrl, ['https://example.com/rooms/1']), {
        bearer: await token({
          subscribe: ['https://example.com/rooms/{id}'],
          payload: { name: 'alice' },
        }),
      });
      await alice.opened;
      await page.waitForFunction(() =>
        [...document.querySelectorAll('#connected-list .who-match')].some(
          (item) => item.textContent === 'https://example.com/rooms/1',
        ),
      );
      const row = await page.$eval(
        '#connected-list .who-topic:has(.who-match:text-is("https://example.com/rooms/1"))',
        (item) => ({
          type: item.querySelector('.who-type')?.textContent,
          payload: item.querySelector('.who-payload')?.textContent,
        }),
      );
      assert.deepEqual(row, { type: 'uritemplate', payload: '{"name":"alice"}' });
      assert.match(await page.$eval('#connected-count', (e) => e.textContent), /^3 connected/);
      await page.waitForSelector('#connected-changes .change[data-active="true"]');
      await screenshot(page, 'dashboard-connected');

      alice.close();
      await page.waitForFunction(
        () =>
          ![...document.querySelectorAll('#connected-list .who-match')].some(
            (item) => item.textContent === 'https://example.com/rooms/1',
          ),
      );
      await page.waitForSelector('#connected-changes .change[data-active="false"]');
      assert.match(await page.$eval('#connected-count', (e) => e.textContent), /^2 connected/);
      assert.deepEqual(problems.errors, []);
      assert.deepEqual(problems.cspViolations, []);
    } finally {
      await context.close();
      await hub.close();
    }
  });

  void it('says active subscriptions are off when the hub has none', async () => {
    assert.ok(browser);
    const hub = await devHub(false);
    const { context, page, problems } = await openPage(browser);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    try {
      await page.goto(`${hub.base}/`);
      await page.waitForSelector('#connected-status[data-state="off"]');
      assert.match(await page.$eval('#connected-status', (e) => e.textContent), /--subscriptions/);
      assert.deepEqual(
        requests.filter((url) => url.includes('/subscriptions')),
        [],
        'no request for the subscription API or its events',
      );
      assert.deepEqual(problems.errors, []);
    } finally {
      await context.close();
      await hub.close();
    }
  });
});
