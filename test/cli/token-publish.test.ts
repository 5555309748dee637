/**
 * `ssehub token` and `ssehub publish` round trips: minted tokens verify with
 * the key and carry the claims asked for; the publisher CLI talks to a real
 * hub, prints the id, reads stdin, and reports refusals with exit 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import {
  RSA,
  SECRET,
  startHub,
  subscribeUrl,
  Subscriber,
  token,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname];

async function cli(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (input === undefined) {
    try {
      const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], {
        timeout: 15_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  const [code] = (await within(once(child, 'exit'), 'the CLI to exit', 15_000)) as [number | null];
  return { code, stdout, stderr };
}

void describe('ssehub token', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ssehub-token-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void test('mints an HS256 token with the mercure claim, payload and exp', async () => {
    const { code, stdout } = await cli([
      'token',
      '--jwt-key',
      SECRET,
      '--publish',
      '*',
      '--subscribe',
      'https://example.com/books/{id}',
      '--subscribe',
      'urn:x',
      '--payload',
      '{"user":"alice"}',
      '--expires-in',
      '1h',
    ]);
    assert.equal(code, 0);
    const { payload, protectedHeader } = await jwtVerify(
      stdout.trim(),
      new TextEncoder().encode(SECRET),
    );
    assert.equal(protectedHeader.alg, 'HS256');
    assert.deepEqual(payload.mercure, {
      publish: ['*'],
      subscribe: ['https://example.com/books/{id}', 'urn:x'],
      payload: { user: 'alice' },
    });
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    assert.ok(Math.abs((payload.exp ?? 0) - inAnHour) < 10);
  });

  void test('mints an RS256 token from a PEM file path', async () => {
    const file = join(dir, 'private.pem');
    writeFileSync(file, RSA.privateKey);
    const { code, stdout } = await cli([
      'token',
      '--jwt-alg',
      'RS256',
      '--jwt-key',
      file,
      '--publish',
      'a',
    ]);
    assert.equal(code, 0);
    const { payload } = await jwtVerify(stdout.trim(), createPublicKey(RSA.publicKey));
    assert.deepEqual(payload.mercure, { publish: ['a'] });
  });

  void test('--dev signs with the development key', async () => {
    const { stdout } = await cli(['token', '--dev', '--publish', '*']);
    await jwtVerify(stdout.trim(), new TextEncoder().encode('!ChangeThisMercureHubJWTSecretKey!'));
  });

  void test('--format at+jwt mints a Mercure 1.0 access token a hub with that issuer accepts', async () => {
    const { code, stdout, stderr } = await cli([
      'token',
      '--format',
      'at+jwt',
      '--jwt-key',
      SECRET,
      '--issuer',
      'https://issuer.test',
      '--audience',
      'https://hub.test/.well-known/mercure',
      '--publish',
      'https://example.com/books/1',
      '--subscribe-urlpattern',
      'https://example.com/books/:id',
      '--payload',
      '{"user":"alice"}',
      '--subject',
      'alice',
    ]);
    assert.equal(code, 0, stderr);
    const { payload, protectedHeader } = await jwtVerify(
      stdout.trim(),
      new TextEncoder().encode(SECRET),
      {
        typ: 'at+jwt',
        issuer: 'https://issuer.test',
        audience: 'https://hub.test/.well-known/mercure',
      },
    );
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.mercure, undefined);
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    assert.ok(Math.abs((payload.exp ?? 0) - inAnHour) < 10, 'expires in 1 h by default');
    assert.deepEqual(payload.authorization_details, [
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions: ['publish'],
        topics: [{ match: 'https://example.com/books/1' }],
      },
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions: ['subscribe'],
        topics: [{ match: 'https://example.com/books/:id', match_type: 'urlpattern' }],
        payload: { user: 'alice' },
      },
    ]);

    const hub = await startHub({
      issuers: ['https://issuer.test'],
      resourceIdentifier: 'https://hub.test/.well-known/mercure',
    });
    try {
      const subscriber = new Subscriber(
        `${hub.hubUrl}?match_urlpattern=${encodeURIComponent('https://example.com/books/:id')}`,
        { bearer: stdout.trim() },
      );
      await subscriber.opened;
      const published = await cli([
        'publish',
        '--hub',
        hub.hubUrl,
        '--token',
        stdout.trim(),
        '--topic',
        'https://example.com/books/1',
        '--data',
        'private hello',
        '--private',
      ]);
      assert.equal(published.code, 0, published.stderr);
      const event = await within(subscriber.events.next(), 'the private update');
      assert.equal(event.data, 'private hello');
      subscriber.close();
      const outside = await cli([
        'publish',
        '--hub',
        hub.hubUrl,
        '--token',
        stdout.trim(),
        '--topic',
        'https://example.com/books/2',
        '--data',
        'x',
      ]);
      assert.equal(outside.code, 1);
      assert.match(outside.stderr, /403/);
    } finally {
      await hub.close();
    }
  });

  for (const [name, args, message] of [
    ['no key', ['token', '--publish', '*'], /--jwt-key \(or --dev\) is required/],
    [
      'at+jwt without --issuer',
      ['token', '--dev', '--format', 'at+jwt', '--audience', 'https://h/', '--publish', '*'],
      /--format at\+jwt needs --issuer/,
    ],
    [
      'at+jwt without --audience',
      ['token', '--dev', '--format', 'at+jwt', '--issuer', 'https://i/', '--publish', '*'],
      /--format at\+jwt needs --audience/,
    ],
    [
      '--subscribe-urlpattern on a legacy token',
      ['token', '--dev', '--subscribe-urlpattern', '/books/:id'],
      /--subscribe-urlpattern needs --format at\+jwt/,
    ],
    [
      'an unknown --format',
      ['token', '--dev', '--format', 'jwt'],
      /--format must be one of legacy, at\+jwt/,
    ],
    [
      'an at+jwt payload that is not an object',
      [
        'token',
        '--dev',
        '--format',
        'at+jwt',
        '--issuer',
        'https://i/',
        '--audience',
        'https://h/',
        '--payload',
        '[1]',
      ],
      /--payload must be a JSON object/,
    ],
    [
      'a bad --expires-in',
      ['token', '--dev', '--expires-in', 'soon'],
      /--expires-in: must be a number of seconds or a span/,
    ],
    ['bad --payload JSON', ['token', '--dev', '--payload', '{nope'], /--payload must be JSON/],
    [
      'a public key for RS256 signing',
      ['token', '--jwt-alg', 'RS256', `--jwt-key=${RSA.publicKey}`],
      /--jwt-key: is not a valid PEM private key for RS256/,
    ],
  ] as const) {
    void test(`exit 2 on ${name}`, async () => {
      const result = await cli([...args]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    });
  }
});

void describe('ssehub publish', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true });
  });
  after(() => hub.close());

  void test('publishes with a minted token (--jwt-key) and prints the id', async () => {
    const sub = new Subscriber(subscribeUrl(hub.hubUrl, ['https://example.com/cli']), {
      types: ['note'],
    });
    await sub.opened;
    const { code, stdout, stderr } = await cli([
      'publish',
      '--hub',
      hub.hubUrl,
      '--topic',
      'https://example.com/cli',
      '--data',
      'from the CLI',
      '--id',
      'cli-1',
      '--type',
      'note',
      '--retry',
      '1000',
      '--jwt-key',
      SECRET,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'cli-1\n');
    assert.deepEqual(await sub.events.next(), {
      type: 'note',
      data: 'from the CLI',
      lastEventId: 'cli-1',
    });
    sub.close();
  });

  void test('--data - reads stdin; --private publishes privately', async () => {
    const topic = 'https://example.com/stdin';
    const sub = new Subscriber(subscribeUrl(hub.hubUrl, [topic]), {
      bearer: await token({ subscribe: [topic] }),
    });
    await sub.opened;
    const result = await cli(
      [
        'publish',
        '--hub',
        hub.hubUrl,
        '--topic',
        topic,
        '--data',
        '-',
        '--private',
        '--token',
        await token({ publish: [topic] }),
      ],
      'line 1\nline 2',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await sub.events.next()).data, 'line 1\nline 2');
    sub.close();
  });

  void test('--data - strips exactly one trailing line ending of stdin', async () => {
    const topic = 'https://example.com/stdin-newline';
    const sub = new Subscriber(subscribeUrl(hub.hubUrl, [topic]));
    await sub.opened;
    const publisher = await token({ publish: [topic] });
    for (const [input, data] of [
      ['hello\n', 'hello'],
      ['two blank lines\n\n', 'two blank lines\n'],
      ['crlf\r\n', 'crlf'],
      ['no newline', 'no newline'],
    ] as const) {
      const args = ['publish', '--hub', hub.hubUrl, '--topic', topic, '--data', '-'];
      const result = await cli([...args, '--token', publisher], input);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await sub.events.next()).data, data, JSON.stringify(input));
    }
    sub.close();
  });

  void test('a refusal exits 1 with the status and the hub message', async () => {
    const { code, stderr } = await cli([
      'publish',
      '--hub',
      hub.hubUrl,
      '--topic',
      'https://x/y',
      '--token',
      await token({ publish: ['https://example.com/{id}'] }),
    ]);
    assert.equal(code, 1);
    assert.equal(stderr, 'ssehub publish: 403 not allowed to publish to "https://x/y"\n');
  });

  void test('an unreachable hub exits 1', async () => {
    const { code, stderr } = await cli([
      'publish',
      '--hub',
      'http://127.0.0.1:1/.well-known/mercure',
      '--topic',
      't',
      '--token',
      'x',
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /cannot reach http:\/\/127\.0\.0\.1:1\/.well-known\/mercure/);
  });

  void test('missing --topic or credentials exits 2', async () => {
    assert.equal((await cli(['publish', '--hub', hub.hubUrl, '--token', 'x'])).code, 2);
    const noToken = await cli(['publish', '--hub', hub.hubUrl, '--topic', 't']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--token or --jwt-key is required/);
  });
});
