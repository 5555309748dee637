/**
 * Finding 2 (slowloris): the front door handed a connection to node's HTTP
 * server with its timeout off, and node's `headersTimeout` never ran there
 * (that server never listens), so a head dribbled one byte at a time stayed
 * open for good; over TLS no head deadline ran at all; a publish body could
 * be dribbled forever too. Now every path closes a head not complete within
 * `headersTimeout` (408, then close) and answers 408 to a publish body not
 * complete within `requestTimeout`, publishing nothing.
 *
 * Bounded: 50 dribbling sockets per path, deadlines of a few hundred ms, every
 * wait capped at a few seconds; loopback only.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { devCertificate } from '../../src/cli/tls.js';
import { publisherToken, startHub, within, type TestHub } from '../hub-server/helpers.js';

const HEADERS_TIMEOUT = 400;
const REQUEST_TIMEOUT = 600;
/** Long enough for every deadline above to pass several times over. */
const BOUND = 4000;
const SOCKETS = 50;
const HUB = '/.well-known/mercure';

type Dial = (port: number) => Socket;
const plainDial: Dial = (port) => connect(port, '127.0.0.1');

/** What a dribbling client saw: the bytes it got and whether the server closed. */
interface Dribble {
  socket: Socket;
  received: string;
  closed: boolean;
}

/**
 * Opens a connection, sends `first`, then one more byte of `rest` every
 * `every` ms (one shared timer for all), never finishing.
 */
function dribblers(
  dial: Dial,
  port: number,
  count: number,
  first: string,
  every = 100,
): { all: Dribble[]; stop(): void } {
  const all: Dribble[] = [];
  for (let i = 0; i < count; i++) {
    const socket = dial(port);
    const entry: Dribble = { socket, received: '', closed: false };
    socket.on('data', (chunk: Buffer) => (entry.received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => (entry.closed = true));
    if (first !== '') socket.write(first);
    all.push(entry);
  }
  let n = 0;
  const timer = setInterval(() => {
    for (const entry of all) if (!entry.socket.destroyed) entry.socket.write(n % 2 ? 'a' : 'X');
    n += 1;
  }, every);
  return {
    all,
    stop() {
      clearInterval(timer);
      for (const entry of all) entry.socket.destroy();
    },
  };
}

/** Waits until every dribbler is closed, or BOUND passes; returns how many are still open. */
async function openAfterBound(all: Dribble[]): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < BOUND && all.some((entry) => !entry.closed)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return all.filter((entry) => !entry.closed).length;
}

const paths: { name: string; tls: boolean; leanSubscribers: boolean }[] = [
  { name: 'front door', tls: false, leanSubscribers: true },
  { name: 'node:http only', tls: false, leanSubscribers: false },
  { name: 'TLS, HTTP/1.1', tls: true, leanSubscribers: false },
];

for (const path of paths) {
  void describe(`slowloris (${path.name})`, () => {
    let hub: TestHub;
    let port: number;
    let dial: Dial = plainDial;
    let certDir: string | undefined;

    before(async () => {
      const certificate = path.tls ? await devCertificate('127.0.0.1', {}) : undefined;
      certDir = certificate?.dir;
      hub = await startHub({
        anonymous: true,
        leanSubscribers: path.leanSubscribers,
        tls: certificate,
        headersTimeout: HEADERS_TIMEOUT,
        requestTimeout: REQUEST_TIMEOUT,
      });
      port = Number(new URL(hub.base).port);
      if (certificate !== undefined) {
        dial = (p) =>
          tlsConnect({
            port: p,
            host: '127.0.0.1',
            ca: certificate.cert,
            ALPNProtocols: ['http/1.1'],
          });
      }
    });
    after(async () => {
      await hub.close();
      if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
    });

    void it(`${SOCKETS} heads dribbled one byte at a time are answered 408 and closed`, async () => {
      const attack = dribblers(
        dial,
        port,
        SOCKETS,
        `GET ${HUB}?topic=x HTTP/1.1\r\nHost: h\r\nX-Slow: `,
      );
      try {
        assert.equal(await openAfterBound(attack.all), 0, 'every dribbling socket closed');
        for (const entry of attack.all) {
          assert.match(entry.received, /^HTTP\/1\.1 408 /, 'answered 408 before the close');
        }
      } finally {
        attack.stop();
      }
    });

    void it('a connection that sends nothing is closed at the deadline, without a word', async () => {
      const attack = dribblers(dial, port, 5, '', 60_000);
      try {
        assert.equal(await openAfterBound(attack.all), 0);
        for (const entry of attack.all) assert.equal(entry.received, '');
      } finally {
        attack.stop();
      }
    });

    void it('a second head dribbled on a kept-alive connection is closed too', async () => {
      const attack = dribblers(
        dial,
        port,
        5,
        'GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\nX-Slow: ',
      );
      try {
        assert.equal(await openAfterBound(attack.all), 0);
        for (const entry of attack.all) {
          assert.match(entry.received, /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 408 /);
        }
      } finally {
        attack.stop();
      }
    });

    void it('an idle kept-alive connection is closed without a 408 (it sent no head)', async () => {
      const attack = dribblers(dial, port, 3, 'GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n', 60_000);
      try {
        assert.equal(await openAfterBound(attack.all), 0);
        for (const entry of attack.all) {
          assert.match(entry.received, /^HTTP\/1\.1 200 /);
          assert.doesNotMatch(entry.received, /408/);
        }
      } finally {
        attack.stop();
      }
    });

    void it('a publish body dribbled past the request timeout → 408, nothing published', async () => {
      const token = await publisherToken();
      const before = hub.hubServer.hub.stats.updatesPublished;
      const attack = dribblers(
        dial,
        port,
        5,
        `POST ${HUB} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n' +
          'topic=https%3A%2F%2Fexample.com%2Fslow&data=',
      );
      try {
        assert.equal(await openAfterBound(attack.all), 0);
        for (const entry of attack.all) assert.match(entry.received, /^HTTP\/1\.1 408 /);
        assert.equal(hub.hubServer.hub.stats.updatesPublished, before);
      } finally {
        attack.stop();
      }
    });

    if (path.tls) {
      void it('an HTTP/2 session that opens no stream is closed at the deadline', async () => {
        const certificate = { cert: readFileSync(join(certDir as string, 'cert.pem')) };
        const attack = dribblers(
          (p) =>
            tlsConnect({ port: p, host: '127.0.0.1', ca: certificate.cert, ALPNProtocols: ['h2'] }),
          port,
          5,
          '',
          60_000,
        );
        try {
          assert.equal(await openAfterBound(attack.all), 0);
        } finally {
          attack.stop();
        }
      });
    }

    void it('a subscriber that sent its head in time is not cut by the deadline', async () => {
      const socket = dial(port);
      let received = '';
      let closed = false;
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('close', () => (closed = true));
      socket.write(`GET ${HUB}?topic=x HTTP/1.1\r\nHost: h\r\n\r\n`);
      await new Promise((resolve) => setTimeout(resolve, HEADERS_TIMEOUT * 3));
      assert.equal(closed, false);
      assert.match(received, /^HTTP\/1\.1 200 /);
      socket.destroy();
      await within(
        new Promise((resolve) => socket.once('close', resolve)),
        'the subscriber socket to close',
      );
    });
  });
}
