/**
 * Operations surface: /healthz, Prometheus /metrics (own registry), the page
 * at /, dev tokens only in development mode, 404s, the discovery helper, the
 * Mercure handler used alone, graceful close.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { register as globalRegistry } from 'prom-client';
import { createHub } from '../../src/hub/index.js';
import {
  createHubServer,
  createMercureHandler,
  mercureLinkHeader,
} from '../../src/hub-server/index.js';
import {
  publish,
  publisherToken,
  SECRET,
  startHub,
  subscribeUrl,
  Subscriber,
  within,
  type TestHub,
} from './helpers.js';

void describe('health, metrics and the page', () => {
  let hub: TestHub;
  let sub: Subscriber;
  before(async () => {
    hub = await startHub({ anonymous: true });
    sub = new Subscriber(subscribeUrl(hub.hubUrl, ['*']));
    await sub.opened;
  });
  after(async () => {
    sub.close();
    await hub.close();
  });

  void test('/healthz: 200 JSON with status, uptime, pid, subscribers, transport', async () => {
    const res = await fetch(`${hub.base}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptime, 'number');
    assert.equal(body.pid, process.pid);
    assert.equal('worker' in body, false, 'not a cluster worker');
    assert.equal(body.subscribers, 1);
    assert.equal(body.transport, 'memory');
  });

  void test('/metrics: hub counters and process metrics, in Prometheus text format', async () => {
    await publish(
      hub.hubUrl,
      { topic: 'https://example.com/m', data: 'hello' },
      await publisherToken(),
    );
    await sub.events.next('the update');
    await publish(hub.hubUrl, { data: 'no topic' }, await publisherToken()); // refused: 400
    const res = await fetch(`${hub.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (name: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(line, `${name} is exported`);
      return Number(line.split(' ')[1]);
    };
    assert.equal(value('ssehub_subscribers'), 1);
    assert.equal(value('ssehub_updates_published_total'), 1);
    assert.ok(value('ssehub_deliveries_total') >= 1);
    assert.ok(value('ssehub_bytes_written_total') > 0);
    assert.equal(value('ssehub_history_size'), 1);
    assert.match(text, /^# TYPE ssehub_disconnects_total counter$/m);
    assert.match(text, /^ssehub_requests_refused_total\{status="400"\} 1$/m);
    assert.match(text, /^ssehub_process_cpu_user_seconds_total /m);
    // Its own registry: nothing lands in prom-client's global one.
    assert.equal((await globalRegistry.metrics()).includes('ssehub_subscribers'), false);
  });

  void test('the page and its script are served with a strict CSP; no dev tokens outside dev mode', async () => {
    const page = await fetch(`${hub.base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="app.js"><\/script>/);
    const script = await fetch(`${hub.base}/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await script.text(), /from '\.\/connection\.js'/);
    assert.equal((await fetch(`${hub.base}/dev-tokens.json`)).status, 404);
  });

  void test('unknown paths → 404 text/plain naming the path', async () => {
    const res = await fetch(`${hub.base}/nope`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'not found: /nope\n');
  });
});

void describe('development tokens', () => {
  void test('served at /dev-tokens.json when given', async () => {
    const hub = await startHub({
      anonymous: true,
      devTokens: { publisherToken: 'p', subscriberToken: 's' },
    });
    try {
      const res = await fetch(`${hub.base}/dev-tokens.json`);
      assert.deepEqual(await res.json(), { publisherToken: 'p', subscriberToken: 's' });
    } finally {
      await hub.close();
    }
  });
});

void describe('discovery', () => {
  void test('mercureLinkHeader builds the Link header, with an optional self topic', () => {
    assert.equal(
      mercureLinkHeader('https://hub.example/.well-known/mercure'),
      '<https://hub.example/.well-known/mercure>; rel="mercure"',
    );
    assert.equal(
      mercureLinkHeader(new URL('https://hub.example/.well-known/mercure'), {
        self: 'https://example.com/books/1',
      }),
      '<https://hub.example/.well-known/mercure>; rel="mercure", <https://example.com/books/1>; rel="self"',
    );
  });

  void test('a topic cannot break out of its link (<, >, spaces, CR/LF are escaped)', () => {
    assert.equal(
      mercureLinkHeader('https://hub.example/', { self: 'https://x/a>; rel="evil"\r\nX: y' }),
      '<https://hub.example/>; rel="mercure", <https://x/a%3E;%20rel=%22evil%22%0D%0AX:%20y>; rel="self"',
    );
  });

  void test('1.0 target attributes: last-event-id, content-type, type, as quoted strings', () => {
    assert.equal(
      mercureLinkHeader('https://hub.example/.well-known/mercure', {
        lastEventId: 'urn:uuid:1 "q" \\',
        contentType: 'application/merge-patch+json',
        type: 'book',
        self: 'https://example.com/books/1',
      }),
      '<https://hub.example/.well-known/mercure>; rel="mercure"; last-event-id="urn:uuid:1 \\"q\\" \\\\"; content-type="application/merge-patch+json"; type="book", <https://example.com/books/1>; rel="self"',
    );
    assert.throws(
      () => mercureLinkHeader('https://hub.example/', { type: 'mercure' }),
      (e: { code?: string; field?: string }) =>
        e.code === 'SSE_ERR_INVALID_OPTION' && e.field === 'type',
    );
    assert.throws(
      () => mercureLinkHeader('https://hub.example/', { lastEventId: 'a\r\nX: y' }),
      (e: { field?: string }) => e.field === 'lastEventId',
    );
  });
});

void describe('createMercureHandler alone', () => {
  void test('mounts on any node server; other paths go to next()', async () => {
    const hub = createHub();
    const mercure = createMercureHandler(hub, { jwtKey: SECRET, anonymous: true });
    const server = createServer((req, res) => {
      mercure(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('app');
      });
    });
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), 'listen');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal(await (await fetch(`${base}/other`)).text(), 'app');
      const sub = new Subscriber(`${base}/.well-known/mercure?topic=t`);
      await sub.opened;
      const res = await publish(
        `${base}/.well-known/mercure`,
        { topic: 't', data: 'd' },
        await publisherToken(),
      );
      assert.equal(res.status, 200);
      assert.equal((await sub.events.next()).data, 'd');
      sub.close();
    } finally {
      await hub.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

void describe('graceful close', () => {
  void test('close() ends open streams cleanly and stops the server', async () => {
    const hub = await startHub({ anonymous: true });
    const res = await fetch(subscribeUrl(hub.hubUrl, ['*']));
    assert.equal(res.status, 200);
    const body = res.text();
    await hub.close();
    // The stream ended (no reset): the body completes.
    await within(body, 'the stream to end');
    assert.equal(hub.hubServer.listener.listening, false);
  });
});

void describe('subscribers reconnecting during shutdown', () => {
  void test('get a network error (EventSource retries), not an HTTP error (EventSource gives up)', async () => {
    // The closing hub server's handler behind a plain server that stays up:
    // a subscribe request arriving after close() began must see the
    // connection dropped, with no status line at all.
    const hubServer = createHubServer({
      jwtKey: SECRET,
      anonymous: true,
      heartbeatInterval: false,
    });
    const front = createServer(hubServer.handler);
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    after(() => {
      front.close();
    });
    const { port } = front.address() as AddressInfo;
    const closing = hubServer.close();
    const outcome = await within(
      new Promise<string>((resolve) => {
        const req = request({ port, host: '127.0.0.1', path: '/.well-known/mercure?topic=*' });
        req.on('response', (res) => {
          resolve(`HTTP ${String(res.statusCode)}`);
          res.resume();
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          resolve(`network error ${String(error.code)}`);
        });
        req.end();
      }),
      'the subscribe request to end',
    );
    assert.equal(outcome, 'network error ECONNRESET');
    // Publishers still get a clear answer.
    const res = await fetch(`http://127.0.0.1:${String(port)}/.well-known/mercure`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await publisherToken()}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'topic=t&data=x',
    });
    assert.equal(res.status, 503);
    await within(closing, 'the hub server to close');
  });
});
