/**
 * Finding 2 (connection counts): nothing bounded how many connections one
 * client (or all of them) could hold open. Now `maxConnections` and
 * `maxConnectionsPerAddress` close a connection over a limit as soon as it is
 * accepted, before a byte is read, on every path; refusals are counted in
 * /metrics; connections already open keep working, and new ones are admitted
 * again once some close.
 *
 * Also finding 12 (/metrics): a metrics token, and /metrics on an address of
 * its own, off the public one.
 *
 * Bounded: at most 30 sockets per case, loopback only.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { devCertificate } from '../../src/cli/tls.js';
import { startHub, until, type TestHub } from '../hub-server/helpers.js';

const HEAD = 'GET /.well-known/mercure?topic=x HTTP/1.1\r\nHost: h\r\n\r\n';

interface Client {
  socket: Socket;
  received: string;
  closed: boolean;
}

type Dial = (port: number, localAddress: string) => Socket;

/** Opens a subscriber connection (its head sent once connected). */
function open(dial: Dial, port: number, localAddress = '127.0.0.1'): Client {
  const socket = dial(port, localAddress);
  const client: Client = { socket, received: '', closed: false };
  socket.on('data', (chunk: Buffer) => (client.received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (client.closed = true));
  socket.write(HEAD);
  return client;
}

/** Waits until each client is streaming (200) or closed. */
async function settled(clients: Client[]): Promise<void> {
  await until(
    () => clients.every((c) => c.closed || c.received.startsWith('HTTP/1.1 200')),
    'every connection to be answered or closed',
  );
}

async function metricsText(url: string, token?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, text: await response.text() };
}

const paths = [
  { name: 'front door', tls: false, leanSubscribers: true },
  { name: 'node:http only', tls: false, leanSubscribers: false },
  { name: 'TLS', tls: true, leanSubscribers: false },
];

for (const path of paths) {
  void describe(`connection limits (${path.name})`, () => {
    let hub: TestHub;
    let port: number;
    let certDir: string | undefined;
    let dial: Dial = (p, localAddress) => connect({ port: p, host: '127.0.0.1', localAddress });
    const clients: Client[] = [];

    before(async () => {
      const certificate = path.tls ? await devCertificate('127.0.0.1', {}) : undefined;
      certDir = certificate?.dir;
      hub = await startHub({
        anonymous: true,
        leanSubscribers: path.leanSubscribers,
        tls: certificate,
        maxConnections: 20,
        maxConnectionsPerAddress: 12,
        metricsListen: { port: 0, host: '127.0.0.1' },
        metricsToken: 'metrics-secret',
      });
      port = Number(new URL(hub.base).port);
      if (certificate !== undefined) {
        const ca = readFileSync(join(certificate.dir, 'cert.pem'));
        dial = (p, localAddress) =>
          tlsConnect({
            socket: connect({ port: p, host: '127.0.0.1', localAddress }),
            host: '127.0.0.1',
            ca,
            ALPNProtocols: ['http/1.1'],
          });
      }
    });
    after(async () => {
      for (const client of clients) client.socket.destroy();
      await hub.close();
      if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
    });

    void it('one address: 12 stream, the 13th to 15th are closed unanswered', async () => {
      const batch = Array.from({ length: 15 }, () => open(dial, port));
      clients.push(...batch);
      await settled(batch);
      const streaming = batch.filter((c) => !c.closed);
      assert.equal(streaming.length, 12);
      for (const client of batch.filter((c) => c.closed)) assert.equal(client.received, '');
    });

    void it('all addresses: 20 in all, the others are closed unanswered', async () => {
      const batch = Array.from({ length: 10 }, () => open(dial, port, '127.0.0.2'));
      clients.push(...batch);
      await settled(batch);
      assert.equal(batch.filter((c) => !c.closed).length, 8);
      await until(() => hub.hubServer.hub.subscriberCount === 20, '20 subscribers');
    });

    void it('refusals and open connections are in /metrics, which needs its token', async () => {
      const address = hub.hubServer.metricsAddress();
      assert.ok(address !== undefined);
      const url = `http://127.0.0.1:${address.port}/metrics`;
      assert.equal((await metricsText(url)).status, 401);
      assert.equal((await metricsText(url, 'wrong')).status, 401);
      const { status, text } = await metricsText(url, 'metrics-secret');
      assert.equal(status, 200);
      assert.match(text, /^ssehub_connections 20$/m);
      assert.match(text, /^ssehub_connections_refused_total\{limit="max-connections"\} 2$/m);
      assert.match(
        text,
        /^ssehub_connections_refused_total\{limit="max-connections-per-address"\} 3$/m,
      );
    });

    void it('connections close → new ones are admitted again', async () => {
      for (const client of clients.splice(0, 5)) client.socket.destroy();
      await until(() => hub.hubServer.hub.subscriberCount === 15, 'five subscribers gone');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const batch = [open(dial, port, '127.0.0.3'), open(dial, port, '127.0.0.3')];
      clients.push(...batch);
      await settled(batch);
      assert.equal(batch.filter((c) => !c.closed).length, 2);
    });
  });
}

void describe('/metrics off the public address', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true, metricsListen: { port: 0, host: '127.0.0.1' } });
  });
  after(() => hub.close());

  void it('is 404 on the public address, 200 on its own', async () => {
    assert.equal((await metricsText(`${hub.base}/metrics`)).status, 404);
    const address = hub.hubServer.metricsAddress();
    assert.ok(address !== undefined);
    const { status, text } = await metricsText(`http://127.0.0.1:${address.port}/metrics`);
    assert.equal(status, 200);
    assert.match(text, /^ssehub_subscribers 0$/m);
  });
});

void describe('/metrics with a token on the public address', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true, metricsToken: 'sekret' });
  });
  after(() => hub.close());

  void it('401 without the token (with a Bearer challenge), 200 with it', async () => {
    const response = await fetch(`${hub.base}/metrics`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    assert.equal((await metricsText(`${hub.base}/metrics`, 'sekret')).status, 200);
  });
});
