/**
 * The hub server over TLS (`tls` option, `ssehub serve --tls-cert/--dev-tls`):
 * HTTP/2 negotiated by ALPN with many streams on one connection, HTTP/1.1
 * for clients that do not offer h2, certificates checked, graceful shutdown
 * of both kinds of connections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { devCertificate } from '../../src/cli/tls.js';
import { createHubServer, type HubServer } from '../../src/hub-server/index.js';
import { cli, serve } from '../cli/helpers.js';
import { publisherToken, SECRET, until, within } from './helpers.js';

const TOPIC = 'https://example.com/tls';
let certificate: Awaited<ReturnType<typeof devCertificate>>;
let hubServer: HubServer;
let origin: string;

before(async () => {
  certificate = await devCertificate('127.0.0.1', {});
  hubServer = createHubServer({
    jwtKey: SECRET,
    anonymous: true,
    heartbeatInterval: false,
    tls: certificate,
    shutdownTimeout: 10_000,
  });
  const address = await hubServer.listen(0, '127.0.0.1');
  origin = `https://127.0.0.1:${address.port}`;
});
after(async () => {
  await hubServer.close();
  rmSync(certificate.dir, { recursive: true, force: true });
});

/** Opens a subscribe stream on an HTTP/2 session; resolves with its status and a text sink. */
async function subscribe(
  session: ClientHttp2Session,
): Promise<{ status: number | undefined; stream: ClientHttp2Stream; body: () => string }> {
  const stream = session.request({
    ':method': 'GET',
    ':path': `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`,
  });
  stream.end();
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  const [headers] = (await within(once(stream, 'response'), 'the h2 response')) as [
    Record<string, string | number>,
  ];
  return { status: headers[':status'] as number, stream, body: () => body };
}

void describe('hub server with tls', () => {
  void test('HTTP/2 by ALPN: 12 streams on one connection all receive the update', async () => {
    const session = connect(origin, { ca: certificate.cert });
    try {
      await within(once(session, 'connect'), 'the h2 session');
      assert.equal((session.socket as TLSSocket).alpnProtocol, 'h2');
      const streams = await Promise.all(Array.from({ length: 12 }, () => subscribe(session)));
      assert.deepEqual(
        streams.map((s) => s.status),
        Array<number>(12).fill(200),
      );
      const published = await fetchPublish();
      await until(
        () => streams.every((s) => s.body().includes(`data: over h2`)),
        'every stream to get the update',
      );
      for (const s of streams) assert.match(s.body(), new RegExp(`id: ${published}\n`));
    } finally {
      session.destroy();
    }
  });

  void test('HTTP/1.1 for a client without h2 in ALPN; the certificate verifies for 127.0.0.1', async () => {
    const response = await within(
      new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        httpsGet(`${origin}/healthz`, { ca: certificate.cert }, resolve).on('error', reject);
      }),
      'the HTTPS/1.1 response',
    );
    assert.equal(response.statusCode, 200);
    assert.equal(response.httpVersion, '1.1');
    response.resume();
    // A client offering only http/1.1 in ALPN gets it (one offering none too, above).
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: Number(new URL(origin).port),
      ca: certificate.cert,
      ALPNProtocols: ['http/1.1'],
    });
    await within(once(socket, 'secureConnect'), 'the TLS handshake');
    assert.equal(socket.alpnProtocol, 'http/1.1');
    socket.destroy();
    // Without the certificate as a trusted CA the connection is refused.
    await assert.rejects(
      new Promise((resolve, reject) => {
        httpsGet(`${origin}/healthz`, resolve).on('error', reject);
      }),
      /self-signed certificate/,
    );
  });
});

/** Publishes "over h2" through HTTPS/1.1 (fetch trusts no self-signed CA: use node:https). */
async function fetchPublish(): Promise<string> {
  const bearer = await publisherToken();
  const { request } = await import('node:https');
  const body = new URLSearchParams({ topic: TOPIC, data: 'over h2' }).toString();
  return within(
    new Promise<string>((resolve, reject) => {
      const req = request(
        `${origin}/.well-known/mercure`,
        {
          method: 'POST',
          ca: certificate.cert,
          headers: {
            authorization: `Bearer ${bearer}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            if (res.statusCode === 200) resolve(text);
            else reject(new Error(`publish: ${String(res.statusCode)} ${text}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    }),
    'the publish',
  );
}

void test('close(): HTTP/2 and HTTP/1.1 streams end cleanly, the server stops quickly', async () => {
  const cert = await devCertificate('127.0.0.1', {});
  const server = createHubServer({
    jwtKey: SECRET,
    anonymous: true,
    tls: cert,
    shutdownTimeout: 10_000,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const session = connect(`https://127.0.0.1:${port}`, { ca: cert.cert });
  try {
    const h2 = await subscribe(session);
    assert.equal(h2.status, 200);
    const h1 = await within(
      new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        httpsGet(
          `https://127.0.0.1:${port}/.well-known/mercure?topic=x`,
          { ca: cert.cert, agent: false },
          resolve,
        ).on('error', reject);
      }),
      'the HTTP/1.1 stream',
    );
    assert.equal(h1.statusCode, 200);
    h1.resume();
    const ended = Promise.all([once(h2.stream, 'end'), once(h1, 'end')]);
    const started = Date.now();
    await within(server.close(), 'close', 5000);
    // Well under shutdownTimeout: nothing had to be destroyed.
    assert.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
    await within(ended, 'both streams to end');
  } finally {
    session.destroy();
    rmSync(cert.dir, { recursive: true, force: true });
  }
});

void describe('ssehub serve --tls-cert / --tls-key / --dev-tls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssehub-tls-test-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void test('refusals name the flag (exit 2)', async () => {
    const onlyCert = await cli(['serve', '--jwt-key', SECRET, '--tls-cert', '/nonexistent.pem']);
    assert.equal(onlyCert.code, 2);
    assert.match(onlyCert.stderr, /TLS needs both --tls-cert and --tls-key: --tls-key is missing/);

    const missing = await cli([
      'serve',
      '--jwt-key',
      SECRET,
      '--tls-cert',
      join(dir, 'nope.pem'),
      '--tls-key',
      join(dir, 'nope.pem'),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tls-cert: cannot read ".*nope\.pem" \(ENOENT\)/);

    const garbage = join(dir, 'garbage.pem');
    writeFileSync(
      garbage,
      '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n',
    );
    const bad = await cli([
      'serve',
      '--jwt-key',
      SECRET,
      '--port',
      '0',
      '--tls-cert',
      garbage,
      '--tls-key',
      garbage,
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--tls-cert \/ --tls-key: must hold a PEM certificate and its private key/,
    );

    const both = await cli([
      'serve',
      '--jwt-key',
      SECRET,
      '--dev-tls',
      '--tls-cert',
      garbage,
      '--tls-key',
      garbage,
    ]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--dev-tls makes its own certificate/);
  });

  void test('--tls-cert/--tls-key files: serves HTTP/2; --dev-tls logs https and its certificate', async () => {
    const cert = await devCertificate('127.0.0.1', {});
    try {
      const served = await serve([
        '--jwt-key',
        SECRET,
        '--tls-cert',
        join(cert.dir, 'cert.pem'),
        '--tls-key',
        join(cert.dir, 'key.pem'),
      ]);
      const ready = served.logs.find((l) => String(l.msg).startsWith('listening on'));
      assert.ok(ready);
      assert.match(String(ready.url), /^https:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(ready.tls, 'files');
      const session = connect(String(ready.url), { ca: cert.cert });
      await within(once(session, 'connect'), 'h2 to the CLI hub');
      assert.equal((session.socket as TLSSocket).alpnProtocol, 'h2');
      session.destroy();
      served.child.kill('SIGTERM');
      assert.equal(await within(served.exit, 'exit', 10_000), 0);
    } finally {
      rmSync(cert.dir, { recursive: true, force: true });
    }

    const dev = await serve(['--dev', '--dev-tls']);
    try {
      const ready = dev.logs.find((l) => String(l.msg).startsWith('listening on'));
      assert.ok(ready);
      assert.match(String(ready.url), /^https:/);
      assert.equal(ready.tls, 'development (self-signed)');
      const certPath = String(ready.certificate);
      const session = connect(String(ready.url), { ca: readFileSync(certPath) });
      await within(once(session, 'connect'), 'h2 to the --dev-tls hub, its certificate trusted');
      session.destroy();
      rmSync(join(certPath, '..'), { recursive: true, force: true });
    } finally {
      dev.child.kill('SIGTERM');
      await dev.exit;
    }
  });
});
