/**
 * Every bad flag value of `ssehub publish`, `listen` and `token`: exit 2
 * with one plain line on stderr, `ssehub <command>: …`, naming the flag (or
 * its variable); never a stack trace. And HMAC secrets of the shortest
 * length each algorithm takes are taken.
 *
 * The commands run in this process (`run-here.ts`: their `run(argv, env)`,
 * stderr captured) with an empty environment but for the variables a case
 * sets; the good keys run as child processes (`cli()`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from './helpers.js';
import { assertOneLine, KEY32, KEY48, runHere, type Command } from './run-here.js';

/** [command, arguments, environment, the message (naming the flag)]. */
const cases: [Command, string[], Record<string, string>, RegExp][] = [
  // publish
  [
    'publish',
    ['--topic', 't', '--jwt-key', KEY32, '--hub', 'nope'],
    {},
    /--hub must be a URL, got "nope"/,
  ],
  [
    'publish',
    ['--topic', 't', '--jwt-key', KEY32],
    { SSEHUB_HUB: 'ftp://h' },
    /SSEHUB_HUB must be an http\(s\) URL/,
  ],
  [
    'publish',
    ['--topic', 't', '--jwt-key', KEY32, '--retry', 'soon'],
    {},
    /--retry must be a non-negative integer/,
  ],
  [
    'publish',
    ['--topic', 't', '--jwt-key', KEY32, '--jwt-alg', 'none'],
    {},
    /--jwt-alg must be one of/,
  ],
  [
    'publish',
    ['--topic', 't', '--jwt-key', 'short'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [
    'publish',
    ['--topic', 't', '--jwt-key', KEY48, '--jwt-alg', 'HS512'],
    {},
    /--jwt-key: an HS512 secret must be at least 64 bytes/,
  ],
  ['publish', ['--topic', 't'], { SSEHUB_JWT_KEY: 'short' }, /SSEHUB_JWT_KEY: an HS256 secret/],
  ['publish', ['--topic', 't', '--jwt-key', KEY32, '--nope'], {}, /Unknown option '--nope'/],
  ['publish', ['--topic', '', '--jwt-key', KEY32], {}, /--topic must not be empty/],
  [
    'publish',
    ['--topic', 't', '--token', 'a\nb'],
    {},
    /--token must be a JWT: .*no spaces or line breaks/,
  ],
  ['publish', ['--topic', 't'], { SSEHUB_TOKEN: 'a b' }, /SSEHUB_TOKEN must be a JWT/],
  // listen
  ['listen', ['not a url'], {}, /the URL must be an absolute URL, got "not a url"/],
  ['listen', ['--hub', 'nope', '--topic', 't'], {}, /--hub must be an absolute URL, got "nope"/],
  ['listen', ['--hub', 'ftp://h/', '--topic', 't'], {}, /--hub must be an http\(s\) URL/],
  ['listen', ['--topic', 't'], { SSEHUB_HUB: 'nope' }, /SSEHUB_HUB must be an absolute URL/],
  ['listen', ['http://h/', '--max-retries', 'x'], {}, /--max-retries must be an integer >= 0/],
  [
    'listen',
    ['http://h/', '--last-event-id', 'a\nb'],
    {},
    /--last-event-id must not contain NUL, CR or LF/,
  ],
  ['listen', ['http://h/', '--topic', ''], {}, /--topic must not be empty/],
  ['listen', ['http://h/', '--nope'], {}, /Unknown option '--nope'/],
  ['listen', ['http://h/', '--token', 'Bearer x'], {}, /--token must be a JWT/],
  // token
  ['token', ['--jwt-key', 'short'], {}, /--jwt-key: an HS256 secret must be at least 32 bytes/],
  [
    'token',
    ['--jwt-key', KEY32, '--jwt-alg', 'HS384'],
    {},
    /--jwt-key: an HS384 secret must be at least 48 bytes/,
  ],
  [
    'token',
    [],
    { SSEHUB_JWT_KEY: 'k'.repeat(10) },
    /SSEHUB_JWT_KEY: an HS256 secret must be at least 32 bytes.*got 10/,
  ],
  ['token', ['--dev', '--jwt-alg', 'XX'], {}, /--jwt-alg must be one of/],
  [
    'token',
    ['--dev', '--expires-in', 'soon'],
    {},
    /--expires-in: must be a number of seconds or a span/,
  ],
  ['token', ['--dev', '--payload', '{nope'], {}, /--payload must be JSON/],
  ['token', ['--dev', '--nope'], {}, /Unknown option '--nope'/],
  ['token', ['--dev', '--publish', ''], {}, /--publish must not be empty/],
  ['token', ['--dev', '--subscribe', '*', '--subscribe', ''], {}, /--subscribe must not be empty/],
];

void describe('publish, listen, token: a bad flag value is one line naming the flag, exit 2', () => {
  for (const [command, argv, env, message] of cases) {
    void test(`${command} ${argv.join(' ')} ${JSON.stringify(env)}`, async () => {
      const result = await runHere(command, argv, { ...env });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine(command, result.stderr, message);
    });
  }
});

void describe('good keys of the shortest length are taken', () => {
  void test('token: 32, 48 and 64 bytes for HS256, HS384, HS512; UTF-8 bytes count; --dev as is', async () => {
    for (const args of [
      ['--jwt-alg', 'HS256', '--jwt-key', KEY32],
      ['--jwt-alg', 'HS384', '--jwt-key', KEY48],
      ['--jwt-alg', 'HS512', '--jwt-key', 'k'.repeat(64)],
      // 11 three-byte characters: 33 bytes.
      ['--jwt-key', '€'.repeat(11)],
      // The development key (34 bytes) signs whatever the algorithm.
      ['--dev', '--jwt-alg', 'HS512'],
    ]) {
      const result = await cli(['token', ...args]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^ey[\w-]+\.[\w-]+\.[\w-]+\n$/);
    }
  });
});
