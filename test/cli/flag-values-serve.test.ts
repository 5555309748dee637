/**
 * Every bad flag value of `ssehub serve`: exit 2 with one plain line on
 * stderr, `ssehub serve: …`, naming the flag (or its variable); never a
 * stack trace. A bad value is reported before a missing key.
 *
 * The commands run in this process (`run-here.ts`: their `run(argv, env)`,
 * stderr captured) with an empty environment but for the variables a case
 * sets; a few cases run as child processes too (`cli()`), end to end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from './helpers.js';
import { assertOneLine, KEY32, KEY48, runHere } from './run-here.js';

const temp = mkdtempSync(join(tmpdir(), 'ssehub-flag-values-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});
const notPem = join(temp, 'not.pem');
writeFileSync(notPem, 'hello\n');

/** [arguments, environment, the message (naming the flag)]. */
const cases: [string[], Record<string, string>, RegExp][] = [
  // serve: the transport and the flask-sse Redis URL
  [
    ['--dev', '--transport', 'redis:/localhost'],
    {},
    /^.*--transport "redis:\/localhost" has no host: write redis:\/\/host\[:port\]\[\/db\]/,
  ],
  [
    ['--dev', '--transport', 'redis://localhost:6379/db'],
    {},
    /--transport "redis:\/\/localhost:6379\/db": the database after the host must be a number .*got "db"/,
  ],
  [
    ['--dev', '--transport', 'rediss://user:hunter2@h/x'],
    {},
    /--transport "rediss:\/\/user:\*\*\*@h\/x": the database/,
  ],
  [
    ['--dev'],
    { SSEHUB_TRANSPORT: 'redis://x:6379/one' },
    /SSEHUB_TRANSPORT "redis:\/\/x:6379\/one": the database/,
  ],
  [
    ['--dev', '--transport', 'http://localhost'],
    {},
    /--transport must be "memory" or a redis:\/\//,
  ],
  [['--dev', '--transport', 'file:'], {}, /--transport file: needs a folder/],
  [['--dev', '--flask-sse', 'redis:/localhost'], {}, /--flask-sse "redis:\/localhost" has no host/],
  [['--dev', '--flask-sse', 'redis://h/x'], {}, /--flask-sse "redis:\/\/h\/x": the database/],
  [
    ['--dev', '--redis-key-prefix', 'a b', '--transport', 'redis://h'],
    {},
    /--redis-key-prefix must be 1 to 100/,
  ],
  [['--dev', '--fsync', 'sometimes'], {}, /--fsync must be one of always, batch/],
  // serve: numbers; a bad value wins over a missing key
  [['--port', 'abc'], {}, /--port must be an integer between 0 and 65535, got "abc"/],
  [['--port', '70000', '--anonymous'], {}, /--port must be an integer between 0 and 65535/],
  [[], { SSEHUB_PORT: 'x' }, /SSEHUB_PORT must be an integer/],
  [['--log-level', 'loud'], {}, /--log-level must be one of/],
  [['--cors-origin', 'app.example'], {}, /--cors-origin: has an invalid origin "app.example"/],
  [
    ['--publish-origin', 'https://a.example/path'],
    {},
    /--publish-origin: has "https:\/\/a.example\/path", which is not an origin/,
  ],
  [['--dev', '--heartbeat', 'often'], {}, /--heartbeat must be an integer/],
  [['--dev', '--history-size', '0'], {}, /--history-size must be an integer >= 1/],
  [['--dev', '--history-bytes', '1e6'], {}, /--history-bytes must be an integer >= 1/],
  [['--dev', '--max-data-bytes', '-5'], {}, /--max-data-bytes/],
  [['--dev', '--max-topics', '0'], {}, /--max-topics must be an integer >= 1/],
  [['--dev', '--max-subscribers', 'lots'], {}, /--max-subscribers must be an integer/],
  [['--dev', '--workers', '0'], {}, /--workers must be an integer between 1 and 1024/],
  [['--dev', '--clock-tolerance=x'], {}, /--clock-tolerance must be an integer between 0 and 3600/],
  [['--dev', '--protocol', '2.0'], {}, /--protocol must be one of both, 1.0, 0.x/],
  [
    ['--dev', '--demo', '--demo-price-interval', 'x'],
    {},
    /--demo-price-interval must be an integer/,
  ],
  [['--dev', '--flask-sse-auth', 'jwt'], {}, /--flask-sse-auth needs --flask-sse/],
  [
    ['--dev', '--flask-sse', 'redis://h', '--flask-sse-auth', 'maybe'],
    {},
    /--flask-sse-auth must be one of anonymous, jwt/,
  ],
  [
    ['--dev', '--tls-cert', notPem, '--tls-key', notPem],
    {},
    /--tls-cert: ".*not.pem" is not a PEM file/,
  ],
  [
    ['--dev', '--tls-cert', notPem],
    {},
    /TLS needs both --tls-cert and --tls-key: --tls-key is missing/,
  ],
  [['--dev'], { SSEHUB_ANONYMOUS: 'maybe' }, /SSEHUB_ANONYMOUS must be true or false/],
  [['--dev', '--port'], {}, /--port <value>' argument missing/],
  [['--prot', '1'], {}, /Unknown option '--prot'/],
  [['--dev', '--host', ''], {}, /--host must be a host name or an IP address .*got ""/],
  [['--dev', '--host', '[::1]'], {}, /--host must be a host name or an IP address/],
  [['--dev'], { SSEHUB_HOST: 'http://h:3000' }, /SSEHUB_HOST must be a host name/],
  [['--demo', '--demo-symbols', '$$$'], {}, /--demo-symbols: must be 1 to 16 letters/],
  [
    ['--demo', '--demo-monitor-interval', '5'],
    {},
    /--demo-monitor-interval must be 0 \(off\) or at least 10 \(ms\), got "5"/,
  ],
  // serve: keys and algorithms
  [['--jwt-alg', 'XX256'], {}, /--jwt-alg must be one of HS256/],
  [
    ['--jwt-key', 'short', '--anonymous'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes \(RFC 7518 §3.2.*\), got 5/,
  ],
  [
    ['--jwt-key', 'k'.repeat(31), '--anonymous'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes.*got 31/,
  ],
  [
    ['--jwt-alg', 'HS384', '--jwt-key', KEY32],
    {},
    /--jwt-key: an HS384 secret must be at least 48 bytes.*got 32/,
  ],
  [
    ['--jwt-alg', 'HS512', '--jwt-key', KEY48],
    {},
    /--jwt-key: an HS512 secret must be at least 64 bytes.*got 48/,
  ],
  [
    ['--publisher-jwt-key', 'short', '--subscriber-jwt-key', KEY32],
    {},
    /--publisher-jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [
    ['--jwt-key', KEY32, '--subscriber-jwt-key', 'short'],
    {},
    /--subscriber-jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [['--dev', '--jwt-key', 'short'], {}, /--jwt-key: an HS256 secret must be at least 32 bytes/],
  [
    ['--anonymous'],
    { SSEHUB_JWT_KEY: 'short' },
    /SSEHUB_JWT_KEY: an HS256 secret must be at least 32 bytes/,
  ],
  [
    ['--jwt-alg', 'RS256', '--jwt-key', '/nonexistent.pem'],
    {},
    /--jwt-key: RS256 needs a PEM key or the path of a PEM file; cannot read/,
  ],
  // serve: missing keys, once every value is good
  [[], {}, /^ssehub serve: a publisher key is required: set --jwt-key/],
  [
    ['--publisher-jwt-key', KEY32],
    {},
    /subscribers need a key: set --jwt-key or --subscriber-jwt-key, or allow --anonymous/,
  ],
];

void describe('ssehub serve: a bad flag value is one line naming the flag, exit 2', () => {
  for (const [argv, env, message] of cases) {
    void test(`serve ${argv.join(' ')} ${JSON.stringify(env)}`, async () => {
      const result = await runHere('serve', argv, { ...env });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine('serve', result.stderr, message);
    });
  }

  void test('the same as a child process: no stack, exit 2 (redis:/localhost, --port abc)', async () => {
    for (const [args, message] of [
      [['--dev', '--transport', 'redis:/localhost'], /--transport "redis:\/localhost" has no host/],
      [
        ['--dev', '--transport', 'redis://localhost:6379/db'],
        /--transport .* the database after the host must be a number/,
      ],
      [['--port', 'abc'], /--port must be an integer/],
    ] as const) {
      const result = await cli(['serve', ...args], { SSEHUB_PORT: '0' });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine('serve', result.stderr, message);
    }
  });
});
