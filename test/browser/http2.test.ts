/**
 * Twelve EventSources in one page, over HTTP/2, all receive: `ssehub serve
 * --dev --dev-tls` (a self-signed certificate, so Chromium runs with
 * --ignore-certificate-errors). Over HTTP/1.1 Chromium holds at most six
 * connections per origin and the seventh EventSource would never open; over
 * HTTP/2 they are streams of one connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { serve, type Served } from '../cli/helpers.js';
import { browserSkip, CHROMIUM_ARGS, CHROMIUM_PATH, openPage, screenshot } from './helpers.js';

const STREAMS = 12;

void describe('twelve EventSources over HTTP/2', { skip: browserSkip(), timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let hub: Served | undefined;

  before(async () => {
    hub = await serve(['--dev', '--dev-tls']);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
      timeout: 30_000,
    });
  });
  after(async () => {
    await browser?.close();
    hub?.child.kill('SIGTERM');
    await hub?.exit;
  });

  void it('all open at once and each receives its own update', async () => {
    const ready = hub?.logs.find((l) => String(l.msg).startsWith('listening on'));
    assert.ok(ready);
    const origin = String(ready.url).replace(/\/$/, '');
    assert.match(origin, /^https:/);
    const { page } = await openPage(browser as Browser);
    await page.goto(origin);
    // The page itself came over HTTP/2.
    const protocol = await page.evaluate(
      () =>
        (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
          .nextHopProtocol,
    );
    assert.equal(protocol, 'h2');

    // Twelve streams on top of the dashboard's own one.
    await page.evaluate((count) => {
      const target = window as unknown as { opened: number; got: Record<number, string> };
      target.opened = 0;
      target.got = {};
      for (let i = 0; i < count; i++) {
        const url = new URL('/.well-known/mercure', location.href);
        url.searchParams.append('topic', `https://example.com/h2/${i}`);
        const source = new EventSource(url);
        source.onopen = () => {
          target.opened++;
        };
        source.onmessage = (event) => {
          target.got[i] = String(event.data);
        };
      }
    }, STREAMS);
    await page.waitForFunction(
      (count) => (window as unknown as { opened: number }).opened === count,
      STREAMS,
    );

    // Publish one update per stream from the page (same origin, dev token).
    const statuses = await page.evaluate(async (count) => {
      const tokens = (await (await fetch('/dev-tokens.json')).json()) as {
        publisherToken: string;
      };
      const results: number[] = [];
      for (let i = 0; i < count; i++) {
        const response = await fetch('/.well-known/mercure', {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.publisherToken}` },
          body: new URLSearchParams({ topic: `https://example.com/h2/${i}`, data: `to ${i}` }),
        });
        results.push(response.status);
      }
      return results;
    }, STREAMS);
    assert.deepEqual(statuses, Array<number>(STREAMS).fill(200));
    await page.waitForFunction(
      (count) => Object.keys((window as unknown as { got: object }).got).length === count,
      STREAMS,
    );
    const got = await page.evaluate(() => (window as unknown as { got: object }).got);
    assert.deepEqual(
      got,
      Object.fromEntries(Array.from({ length: STREAMS }, (_, i) => [String(i), `to ${i}`])),
    );
    // The hub counts every stream: 12 + the dashboard's.
    const health = await page.evaluate(
      async () => ((await (await fetch('/healthz')).json()) as { subscribers: number }).subscribers,
    );
    assert.ok(health >= STREAMS + 1, `${health} subscribers`);
    await screenshot(page, 'http2-twelve-streams');
  });
});
