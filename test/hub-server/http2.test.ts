/**
 * The hub server's router on node:http2 (compatibility API, cleartext h2c):
 * subscribe, publish and errors, with a raw http2 client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  connect,
  createServer,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createHubServer, signToken } from '../../src/hub-server/index.js';
import { publisherToken, SECRET, within } from './helpers.js';

function request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<{ headers: IncomingHttpHeaders; stream: ReturnType<ClientHttp2Session['request']> }> {
  const stream = session.request(headers);
  if (body === undefined) stream.end();
  else stream.end(body);
  return within(
    new Promise((resolve, reject) => {
      stream.once('response', (responseHeaders) => {
        resolve({ headers: responseHeaders, stream });
      });
      stream.once('error', reject);
    }),
    'the http2 response',
  );
}

async function text(stream: ReturnType<ClientHttp2Session['request']>): Promise<string> {
  let out = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (out += chunk));
  await within(once(stream, 'end'), 'the end of the http2 body');
  return out;
}

void test('subscribe, publish and a 413 over HTTP/2 (compatibility API)', async () => {
  const hubServer = createHubServer({ jwtKey: SECRET, anonymous: true, maxBodyBytes: 100 });
  const server = createServer(hubServer.handler);
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'listen');
  const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    const sub = await request(session, {
      ':method': 'GET',
      ':path': '/.well-known/mercure?topic=h2',
    });
    assert.equal(sub.headers[':status'], 200);
    assert.equal(sub.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(sub.headers.connection, undefined);
    let received = '';
    sub.stream.setEncoding('utf8');
    const got = new Promise<void>((resolve) => {
      sub.stream.on('data', (chunk: string) => {
        received += chunk;
        if (received.includes('data: over h2')) resolve();
      });
    });

    const pub = await request(
      session,
      {
        ':method': 'POST',
        ':path': '/.well-known/mercure',
        authorization: `Bearer ${await publisherToken()}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      'topic=h2&data=over+h2',
    );
    assert.equal(pub.headers[':status'], 200);
    assert.match(await text(pub.stream), /^urn:uuid:/);
    await within(got, 'the update over h2');

    const big = await request(
      session,
      {
        ':method': 'POST',
        ':path': '/.well-known/mercure',
        authorization: `Bearer ${await publisherToken()}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      `topic=h2&data=${'x'.repeat(200)}`,
    );
    assert.equal(big.headers[':status'], 413);
    assert.equal(await text(big.stream), 'request body exceeds 100 bytes\n');
    sub.stream.close();
  } finally {
    session.close();
    await hubServer.close();
    server.close();
  }
});

void test('the subscription API over HTTP/2 answers as over HTTP/1.1, and a subscriber there is listed', async () => {
  const hubServer = createHubServer({ jwtKey: SECRET, anonymous: true, subscriptions: true });
  const server = createServer(hubServer.handler);
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'listen');
  const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    const sub = await request(session, {
      ':method': 'GET',
      ':path': '/.well-known/mercure?topic=h2',
    });
    assert.equal(sub.headers[':status'], 200);
    const bearer = await signToken({ key: SECRET, subscribe: ['*'] });
    let body: { subscriptions: { match: string }[] } = { subscriptions: [] };
    for (let i = 0; i < 50 && body.subscriptions.length === 0; i++) {
      const list = await request(session, {
        ':method': 'GET',
        ':path': '/.well-known/mercure/subscriptions',
        authorization: `Bearer ${bearer}`,
      });
      assert.equal(list.headers[':status'], 200);
      assert.equal(list.headers['content-type'], 'application/json');
      assert.match(String(list.headers.link), /rel="mercure"; last-event-id="/);
      body = JSON.parse(await text(list.stream)) as typeof body;
      if (body.subscriptions.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      body.subscriptions.map((d) => d.match),
      ['h2'],
    );
    const anonymous = await request(session, {
      ':method': 'GET',
      ':path': '/.well-known/mercure/subscriptions',
    });
    assert.equal(anonymous.headers[':status'], 401);
    await text(anonymous.stream);
    sub.stream.close();
  } finally {
    session.close();
    await hubServer.close();
    server.close();
  }
});
