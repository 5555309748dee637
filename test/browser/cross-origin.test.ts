/**
 * Cross-origin subscription with cookie authorization, in a real browser.
 *
 * An application on a second origin (a tiny node:http server on another
 * port of 127.0.0.1) sets the `mercureAuthorization` cookie, as a Mercure
 * app's backend does; cookies belong to a host, not a port, so the browser
 * sends it to the hub on 127.0.0.1 too, with `withCredentials: true`. The
 * hub allows that origin (CORS with credentials).
 *
 * - the page with the cookie and credentials receives a private update;
 * - an anonymous page (another browser context, no credentials) does not,
 *   but receives the public update published after it (so it was
 *   connected all along);
 * - a page on an origin the hub does not allow cannot subscribe.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { publish, startHub, token, type TestHub } from '../hub-server/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot } from './helpers.js';

const TOPIC = 'https://example.com/users/42/inbox';

/** The application's page: subscribes to `topic` on `hub`, records what it gets. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>app on another origin</title>
<link rel="icon" href="data:,">
<h1>received</h1>
<ol id="received"></ol>
<script>
  const params = new URLSearchParams(location.search);
  const url = new URL(params.get('hub'));
  url.searchParams.append('topic', params.get('topic'));
  const withCredentials = params.get('credentials') === '1';
  const source = new EventSource(url, { withCredentials });
  window.received = [];
  document.body.dataset.state = 'connecting';
  source.onopen = () => { document.body.dataset.state = 'open'; };
  source.onerror = () => {
    document.body.dataset.state = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
  };
  source.onmessage = (event) => {
    window.received.push(event.data);
    const li = document.createElement('li');
    li.textContent = event.data;
    document.getElementById('received').append(li);
  };
</script>`;

/** Starts the application server; `/login` sets the cookie, `/page` is the page. */
async function startApp(cookieToken: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/login') {
      // What an app's backend does for a logged-in user: a cookie only the
      // hub path gets, out of reach of scripts.
      res.writeHead(204, {
        'set-cookie': `mercureAuthorization=${cookieToken}; Path=/.well-known/mercure; HttpOnly; SameSite=Strict`,
      });
      res.end();
      return;
    }
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function received(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { received: string[] }).received);
}

void describe(
  'cross-origin subscription with the cookie',
  { skip: browserSkip(), timeout: 60_000 },
  () => {
    let browser: Browser | undefined;
    let hub: TestHub | undefined;
    let app: { server: Server; port: number } | undefined;
    let appOrigin = '';

    before(async () => {
      app = await startApp(await token({ subscribe: [TOPIC] }));
      appOrigin = `http://127.0.0.1:${app.port}`;
      hub = await startHub({ anonymous: true, corsOrigins: [appOrigin] });
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await hub?.close();
      app?.server.closeAllConnections();
      await new Promise((resolve) => app?.server.close(resolve));
    });

    void it('the page with credentials gets the private update; the anonymous page only the public one', async () => {
      assert.ok(browser && hub);
      const hubUrl = hub.hubUrl;
      const pageUrl = (credentials: boolean): string =>
        `${appOrigin}/page?${new URLSearchParams({ hub: hubUrl, topic: TOPIC, credentials: credentials ? '1' : '0' }).toString()}`;

      const user = await openPage(browser);
      const anonymous = await openPage(browser);
      try {
        // The user logs in on the app: the app sets the cookie for its host.
        const login = await user.page.request.get(`${appOrigin}/login`);
        assert.equal(login.status(), 204);
        const cookies = await user.context.cookies(hubUrl);
        assert.deepEqual(
          cookies.map((c) => [c.name, c.domain, c.path]),
          [['mercureAuthorization', '127.0.0.1', '/.well-known/mercure']],
          'the cookie applies to the hub: same host, another port',
        );

        await user.page.goto(pageUrl(true));
        await anonymous.page.goto(pageUrl(false));
        await user.page.waitForSelector('body[data-state="open"]');
        await anonymous.page.waitForSelector('body[data-state="open"]');

        const publisher = await token({ publish: [TOPIC] });
        const secret = await publish(
          hubUrl,
          { topic: TOPIC, data: 'private: for user 42', private: 'on' },
          publisher,
        );
        assert.equal(secret.status, 200);
        await user.page.waitForFunction(() =>
          (window as unknown as { received: string[] }).received.includes('private: for user 42'),
        );

        const open = await publish(
          hubUrl,
          { topic: TOPIC, data: 'public: for everyone' },
          publisher,
        );
        assert.equal(open.status, 200);
        for (const { page } of [user, anonymous]) {
          await page.waitForFunction(() =>
            (window as unknown as { received: string[] }).received.includes('public: for everyone'),
          );
        }
        // Updates reach a subscriber in order: had the anonymous page been
        // sent the private one, it would be there before the public one.
        assert.deepEqual(await received(user.page), [
          'private: for user 42',
          'public: for everyone',
        ]);
        assert.deepEqual(await received(anonymous.page), ['public: for everyone']);
        await screenshot(user.page, 'cross-origin-user');
        await screenshot(anonymous.page, 'cross-origin-anonymous');
        assert.deepEqual(user.problems, { errors: [], cspViolations: [] });
        assert.deepEqual(anonymous.problems, { errors: [], cspViolations: [] });
      } finally {
        await user.context.close();
        await anonymous.context.close();
      }
    });

    void it('a page on an origin the hub does not allow cannot subscribe', async () => {
      assert.ok(browser && hub && app);
      const { context, page, problems } = await openPage(browser);
      try {
        // localhost is another origin (and another host) than 127.0.0.1.
        const url = `http://localhost:${app.port}/page?${new URLSearchParams({ hub: hub.hubUrl, topic: TOPIC, credentials: '1' }).toString()}`;
        await page.goto(url);
        await page.waitForSelector('body[data-state="closed"]');
        assert.ok(
          problems.errors.some((error) => /CORS|Access-Control-Allow-Origin/i.test(error)),
          problems.errors.join('\n'),
        );
      } finally {
        await context.close();
      }
    });
  },
);
