/**
 * The front door (`subscriber-front.ts`): plain subscribe requests served on
 * the bare socket, everything else handed to node:http with its bytes intact.
 * Raw sockets show exactly what goes on the wire.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createParser, type ParsedEvent } from '../../src/protocol/index.js';
import { readSubscribeHead } from '../../src/hub-server/front-door.js';
import { publish, publisherToken, startHub, until, within, type TestHub } from './helpers.js';

const PATH = '/.well-known/mercure';
const head = (text: string): Buffer => Buffer.from(text, 'latin1');

void describe('readSubscribeHead: only plain GETs on the hub path take the fast path', () => {
  void test('a plain subscribe request is read: target, version, lower-case headers, trimmed values', () => {
    const read = readSubscribeHead(
      head(
        `GET ${PATH}?topic=a&topic=b HTTP/1.1\r\nHost: x\r\nLast-Event-ID:  e1 \r\nOrigin: https://o\r\n\r\n`,
      ),
      PATH,
    );
    assert.deepEqual(read, {
      method: 'GET',
      url: `${PATH}?topic=a&topic=b`,
      httpVersionMinor: 1,
      headers: { host: 'x', 'last-event-id': 'e1', origin: 'https://o' },
    });
    assert.equal(
      readSubscribeHead(head(`GET ${PATH}?topic=a HTTP/1.0\r\n\r\n`), PATH)?.httpVersionMinor,
      0,
    );
  });

  const handedOff: [string, string][] = [
    ['another method', `POST ${PATH} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['another path', `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`],
    [
      'a path that only starts like the hub path',
      `GET ${PATH}x?topic=a HTTP/1.1\r\nHost: x\r\n\r\n`,
    ],
    ['an incomplete head (split across packets)', `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\n`],
    [
      'bytes after the head (pipelining)',
      `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n`,
    ],
    ['obs-fold', `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n`],
    [
      'a repeated header',
      `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n`,
    ],
    ['a body header', `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`],
    [
      'Transfer-Encoding',
      `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`,
    ],
    ['Upgrade', `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n`],
    ['no Host on HTTP/1.1', `GET ${PATH}?topic=a HTTP/1.1\r\nAccept: */*\r\n\r\n`],
    ['a bad header name', `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n`],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['HTTP/1.2', `GET ${PATH}?topic=a HTTP/1.2\r\nHost: x\r\n\r\n`],
    [
      'a head over 16 KiB',
      `GET ${PATH}?topic=a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17000)}\r\n\r\n`,
    ],
  ];
  for (const [what, text] of handedOff) {
    void test(`handed to node:http: ${what}`, () => {
      assert.equal(readSubscribeHead(head(text), PATH), undefined);
    });
  }
});

/** A raw client: sends `request`, collects everything the server writes until it closes. */
class RawClient {
  readonly socket: Socket;
  text = '';
  closed: Promise<void>;

  constructor(port: number, request: string | string[]) {
    this.socket = connect(port, '127.0.0.1');
    const parts = Array.isArray(request) ? request : [request];
    this.socket.once('connect', () => {
      // Separate packets when asked (Nagle off, one write per part, a pause between).
      this.socket.setNoDelay(true);
      let i = 0;
      const next = (): void => {
        const part = parts[i++];
        if (part === undefined) return;
        this.socket.write(part, 'latin1');
        setTimeout(next, 30);
      };
      next();
    });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (data: string) => {
      this.text += data;
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        resolve();
      }),
    );
    this.socket.on('error', () => undefined);
  }

  head(): string {
    return this.text.slice(0, this.text.indexOf('\r\n\r\n'));
  }

  body(): string {
    return this.text.slice(this.text.indexOf('\r\n\r\n') + 4);
  }
}

/** Decodes a chunked body (complete chunks only) and parses the events in it. */
function eventsOfChunked(body: string): ParsedEvent[] {
  let payload = '';
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol === -1) break;
    const size = Number.parseInt(body.slice(pos, eol), 16);
    if (!Number.isFinite(size) || body.length < eol + 2 + size + 2) break;
    assert.equal(body.slice(eol + 2 + size, eol + 4 + size), '\r\n', 'chunk ends with CRLF');
    payload += body.slice(eol + 2, eol + 2 + size);
    pos = eol + 4 + size;
    if (size === 0) break;
  }
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(Buffer.from(payload, 'latin1'));
  return events;
}

void describe('the hub server serves plain subscribers on the bare socket', () => {
  let hub: TestHub;
  let port: number;
  let token: string;
  before(async () => {
    hub = await startHub({ anonymous: true, corsOrigins: ['https://app.example'] });
    port = Number(new URL(hub.base).port);
    token = await publisherToken();
  });
  after(() => hub.close());

  void test('the same response as through node:http: status, SSE and CORS headers, Date, chunked frames', async () => {
    const client = new RawClient(
      port,
      `GET ${PATH}?topic=lean HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\r\n`,
    );
    await until(() => client.text.includes('\r\n\r\n'), 'the response head');
    const lines = client.head().split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 200 OK');
    // Written by the front door (node:http would write `Transfer-Encoding`).
    assert.ok(lines.includes('transfer-encoding: chunked'), 'served on the bare socket');
    const headers = new Map(
      lines
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]),
    );
    assert.equal(headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(
      headers.get('cache-control'),
      'private, no-cache, no-store, must-revalidate, max-age=0',
    );
    assert.equal(headers.get('x-accel-buffering'), 'no');
    assert.equal(headers.get('transfer-encoding'), 'chunked');
    assert.equal(headers.get('connection'), 'keep-alive');
    assert.equal(headers.get('access-control-allow-origin'), 'https://app.example');
    assert.ok(!Number.isNaN(Date.parse(headers.get('date') ?? '')), 'a Date header');
    const id = (await publish(hub.hubUrl, { topic: 'lean', data: 'one\ntwo', id: 'lean-1' }, token))
      .text;
    assert.equal(id, 'lean-1');
    await until(() => eventsOfChunked(client.body()).length === 1, 'the event');
    assert.deepEqual(eventsOfChunked(client.body()), [
      { type: 'message', data: 'one\ntwo', lastEventId: 'lean-1' },
    ]);
    // The client leaves: the hub notices and forgets it.
    const before = hub.hubServer.hub.subscriberCount;
    client.socket.destroy();
    await until(
      () => hub.hubServer.hub.subscriberCount === before - 1,
      'the subscriber to be removed',
    );
  });

  void test('Last-Event-ID replay and its response header, on the fast path', async () => {
    await publish(hub.hubUrl, { topic: 'replay', data: 'a', id: 'r-1' }, token);
    await publish(hub.hubUrl, { topic: 'replay', data: 'b', id: 'r-2' }, token);
    const client = new RawClient(
      port,
      `GET ${PATH}?topic=replay HTTP/1.1\r\nHost: x\r\nLast-Event-ID: r-1\r\n\r\n`,
    );
    await until(() => eventsOfChunked(client.body()).length === 1, 'the replayed event');
    assert.match(client.head(), /\r\nlast-event-id: r-1\r\n/i);
    assert.deepEqual(eventsOfChunked(client.body()), [
      { type: 'message', data: 'b', lastEventId: 'r-2' },
    ]);
    client.socket.destroy();
  });

  void test('HTTP/1.0: no chunked coding, Connection: close, the body is the raw stream', async () => {
    const client = new RawClient(port, `GET ${PATH}?topic=old HTTP/1.0\r\n\r\n`);
    await until(() => client.text.includes('\r\n\r\n'), 'the response head');
    assert.doesNotMatch(client.head(), /transfer-encoding/i);
    assert.match(client.head(), /\r\nconnection: close(\r\n|$)/i);
    await publish(hub.hubUrl, { topic: 'old', data: 'hi', id: 'o-1' }, token);
    await until(() => client.body().includes('data: hi\n\n'), 'the raw frame');
    assert.equal(client.body(), 'id: o-1\ndata: hi\n\n');
    client.socket.destroy();
  });

  void test('refusals are answered by node:http from the same bytes, with the usual status and message', async () => {
    const client = new RawClient(
      port,
      `GET ${PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    await within(client.closed, 'the refusal');
    assert.match(client.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(client.body(), /missing "topic"/);
  });

  void test('a head split across packets goes through node:http and still subscribes', async () => {
    const client = new RawClient(port, [`GET ${PATH}?topic=split HTTP/1.1\r\nHo`, 'st: x\r\n\r\n']);
    await until(() => client.text.includes('\r\n\r\n'), 'the response head');
    assert.match(client.head(), /^HTTP\/1\.1 200 OK/);
    await publish(hub.hubUrl, { topic: 'split', data: 's', id: 's-1' }, token);
    await until(() => eventsOfChunked(client.body()).length === 1, 'the event');
    client.socket.destroy();
  });

  void test('other requests on the same port are untouched: publish with a body, health, keep-alive', async () => {
    const health = await fetch(`${hub.base}/healthz`);
    assert.equal(health.status, 200);
    const big = 'x'.repeat(200_000);
    const res = await publish(hub.hubUrl, { topic: 'nobody', data: big }, token);
    assert.equal(res.status, 200);
    assert.match(res.text, /^urn:uuid:/);
  });
});

void describe('leanSubscribers: false', () => {
  void test('every request goes through node:http, subscribers included', async () => {
    const hub = await startHub({ anonymous: true, leanSubscribers: false });
    try {
      assert.equal(hub.hubServer.listener, hub.hubServer.server);
      const port = Number(new URL(hub.base).port);
      const client = new RawClient(port, `GET ${PATH}?topic=n HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(() => client.text.includes('\r\n\r\n'), 'the response head');
      // node:http's own head (its header casing and order).
      assert.match(client.head(), /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(client.head(), /\r\nTransfer-Encoding: chunked/);
      client.socket.destroy();
    } finally {
      await hub.close();
    }
  });
});

void test('close() ends idle keep-alive connections handed to node:http at once, not after shutdownTimeout', async () => {
  const hub = await startHub({ anonymous: true, shutdownTimeout: 60_000 });
  const socket = connect(Number(new URL(hub.base).port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  // A keep-alive request through node:http, then the connection stays open, idle.
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => received.includes('"status":"ok"'), 'the health answer');
  const closedByServer = new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve();
    }),
  );
  // Bounded well below shutdownTimeout: the idle connection must not hold shutdown.
  await within(hub.hubServer.close(), 'close() with an idle keep-alive connection', 5000);
  await within(closedByServer, 'the idle connection to be closed by the server', 5000);
});
