/**
 * The refusal messages the README quotes are the ones the hub sends: the
 * embedded hub's (`serveHub`) missing and too many topics, and the hub
 * server's answers to a refused or missing token, in the default `both`
 * mode (`invalid token`, the reason only in the log) and in `0.x` mode (the
 * reason too). Each answer is read from a real request, then looked up in
 * the README as quoted code.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createHub, serveHub } from '../src/index.js';
import {
  OTHER_SECRET,
  publish,
  startHub,
  token,
  unsignedToken,
  type TestHub,
} from './hub-server/helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function quoted(text: string): void {
  assert.ok(readme.includes(`\`${text}\``), `the README quotes \`${text}\``);
}

void describe('the README quotes what the hub says', () => {
  const hubs: TestHub[] = [];
  after(async () => {
    await Promise.all(hubs.map((hub) => hub.close()));
  });

  void test('serveHub: missing "topic", too many topics (max 100)', async () => {
    const hub = createHub();
    const server = createServer((req, res) => {
      void serveHub(hub, req, res);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const none = await fetch(`http://127.0.0.1:${port}/events`);
      assert.equal(none.status, 400);
      const missing = (await none.text()).trim();
      assert.equal(missing, 'missing "topic"');
      quoted(missing);
      const topics = Array.from({ length: 101 }, (_, i) => `topic=t${i}`).join('&');
      const many = await fetch(`http://127.0.0.1:${port}/events?${topics}`);
      assert.equal(many.status, 400);
      const tooMany = (await many.text()).trim();
      assert.equal(tooMany, 'too many topics (max 100)');
      quoted(tooMany);
    } finally {
      server.closeAllConnections();
      server.close();
      await hub.close();
    }
  });

  void test('a refused token: `invalid token` by default, the reason with --protocol 0.x', async () => {
    const both = await startHub({ anonymous: true });
    const legacy = await startHub({ anonymous: true, protocol: '0.x' });
    hubs.push(both, legacy);
    const otherKey = await token({ key: OTHER_SECRET, publish: ['*'] });
    const expired = await token({ publish: ['*'], expiresIn: -60 });
    const none = unsignedToken({ mercure: { publish: ['*'] } });
    const fields = { topic: 'https://example.com/a', data: 'x' };

    for (const bad of [otherKey, expired, none, 'not-a-jwt']) {
      const refused = await publish(both.hubUrl, fields, bad);
      assert.equal(refused.status, 401);
      assert.equal(refused.text.trim(), 'invalid token');
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
    quoted('invalid token');
    quoted('error="invalid_token"');
    const anonymous = await publish(both.hubUrl, fields);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.text.trim(), 'an access token is required');
    quoted('an access token is required');

    const signed = await publish(legacy.hubUrl, fields, otherKey);
    assert.equal(signed.text.trim(), 'token signed with another key');
    quoted('token signed with another key');
    const late = await publish(legacy.hubUrl, fields, expired);
    assert.equal(late.text.trim(), 'invalid token: expired');
    quoted('invalid token: expired');
    const noToken = await publish(legacy.hubUrl, fields);
    assert.match(noToken.text, /^missing token: send /);
    quoted('missing token: send …');
  });
});
