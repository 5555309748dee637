/**
 * Every bad flag value of `serve`, `publish`, `listen` and `token`: exit 2
 * with one plain line on stderr, `ssehub <command>: …`, naming the flag (or
 * its variable); never a stack trace. A bad value is reported before a
 * missing required flag.
 *
 * The commands run in this process (their `run(argv, env)`, stderr
 * captured) with an empty environment but for the variables a case sets; a
 * few cases run as child processes too (`cli()`), end to end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from './helpers.js';

type Command = 'serve' | 'publish' | 'listen' | 'token';

const temp = mkdtempSync(join(tmpdir(), 'ssehub-flag-values-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});
const notPem = join(temp, 'not.pem');
writeFileSync(notPem, 'hello\n');

/** 32, 48 and 64 bytes: the shortest HS256, HS384 and HS512 secrets. */
const KEY32 = 'k'.repeat(32);
const KEY48 = 'k'.repeat(48);

/**
 * Runs a command in this process and captures its stderr (stdout is left
 * alone: the test runner reports on it). A run that does not end in 10 s is
 * stopped as by SIGTERM, and fails.
 */
async function runHere(
  command: Command,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  const module = (await import(`../../src/cli/${command}.ts`)) as {
    run(argv: string[], env: NodeJS.ProcessEnv): Promise<number>;
  };
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    stderr += chunk.toString();
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const stopped = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        // A case that wrongly started a server: shut it down and fail.
        process.emit('SIGTERM', 'SIGTERM');
        resolve(-1);
      }, 10_000);
    });
    const code = await Promise.race([module.run(argv, env), stopped]);
    return { code, stderr };
  } finally {
    clearTimeout(timer);
    process.stderr.write = write;
  }
}

function assertOneLine(command: Command, stderr: string, message: RegExp): void {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  const [line = ''] = lines;
  assert.ok(line.startsWith(`ssehub ${command}: `), line);
  assert.doesNotMatch(line, /\bat .*:\d+:\d+/, 'no stack trace');
  assert.match(line, message);
}

/** [command, arguments, environment, the message (naming the flag)]. */
const cases: [Command, string[], Record<string, string>, RegExp][] = [
  // serve: the transport and the flask-sse Redis URL
  [
    'serve',
    ['--dev', '--transport', 'redis:/localhost'],
    {},
    /^.*--transport "redis:\/localhost" has no host: write redis:\/\/host\[:port\]\[\/db\]/,
  ],
  [
    'serve',
    ['--dev', '--transport', 'redis://localhost:6379/db'],
    {},
    /--transport "redis:\/\/localhost:6379\/db": the database after the host must be a number .*got "db"/,
  ],
  [
    'serve',
    ['--dev', '--transport', 'rediss://user:hunter2@h/x'],
    {},
    /--transport "rediss:\/\/user:\*\*\*@h\/x": the database/,
  ],
  [
    'serve',
    ['--dev'],
    { SSEHUB_TRANSPORT: 'redis://x:6379/one' },
    /SSEHUB_TRANSPORT "redis:\/\/x:6379\/one": the database/,
  ],
  [
    'serve',
    ['--dev', '--transport', 'http://localhost'],
    {},
    /--transport must be "memory" or a redis:\/\//,
  ],
  ['serve', ['--dev', '--transport', 'file:'], {}, /--transport file: needs a folder/],
  [
    'serve',
    ['--dev', '--flask-sse', 'redis:/localhost'],
    {},
    /--flask-sse "redis:\/localhost" has no host/,
  ],
  [
    'serve',
    ['--dev', '--flask-sse', 'redis://h/x'],
    {},
    /--flask-sse "redis:\/\/h\/x": the database/,
  ],
  [
    'serve',
    ['--dev', '--redis-key-prefix', 'a b', '--transport', 'redis://h'],
    {},
    /--redis-key-prefix must be 1 to 100/,
  ],
  ['serve', ['--dev', '--fsync', 'sometimes'], {}, /--fsync must be one of always, batch/],
  // serve: numbers; a bad value wins over a missing key
  ['serve', ['--port', 'abc'], {}, /--port must be an integer between 0 and 65535, got "abc"/],
  [
    'serve',
    ['--port', '70000', '--anonymous'],
    {},
    /--port must be an integer between 0 and 65535/,
  ],
  ['serve', [], { SSEHUB_PORT: 'x' }, /SSEHUB_PORT must be an integer/],
  ['serve', ['--log-level', 'loud'], {}, /--log-level must be one of/],
  [
    'serve',
    ['--cors-origin', 'app.example'],
    {},
    /--cors-origin: has an invalid origin "app.example"/,
  ],
  [
    'serve',
    ['--publish-origin', 'https://a.example/path'],
    {},
    /--publish-origin: has "https:\/\/a.example\/path", which is not an origin/,
  ],
  ['serve', ['--dev', '--heartbeat', 'often'], {}, /--heartbeat must be an integer/],
  ['serve', ['--dev', '--history-size', '0'], {}, /--history-size must be an integer >= 1/],
  ['serve', ['--dev', '--history-bytes', '1e6'], {}, /--history-bytes must be an integer >= 1/],
  ['serve', ['--dev', '--max-data-bytes', '-5'], {}, /--max-data-bytes/],
  ['serve', ['--dev', '--max-topics', '0'], {}, /--max-topics must be an integer >= 1/],
  ['serve', ['--dev', '--max-subscribers', 'lots'], {}, /--max-subscribers must be an integer/],
  ['serve', ['--dev', '--workers', '0'], {}, /--workers must be an integer between 1 and 1024/],
  [
    'serve',
    ['--dev', '--clock-tolerance=x'],
    {},
    /--clock-tolerance must be an integer between 0 and 3600/,
  ],
  ['serve', ['--dev', '--protocol', '2.0'], {}, /--protocol must be one of both, 1.0, 0.x/],
  [
    'serve',
    ['--dev', '--demo', '--demo-price-interval', 'x'],
    {},
    /--demo-price-interval must be an integer/,
  ],
  ['serve', ['--dev', '--flask-sse-auth', 'jwt'], {}, /--flask-sse-auth needs --flask-sse/],
  [
    'serve',
    ['--dev', '--flask-sse', 'redis://h', '--flask-sse-auth', 'maybe'],
    {},
    /--flask-sse-auth must be one of anonymous, jwt/,
  ],
  [
    'serve',
    ['--dev', '--tls-cert', notPem, '--tls-key', notPem],
    {},
    /--tls-cert: ".*not.pem" is not a PEM file/,
  ],
  [
    'serve',
    ['--dev', '--tls-cert', notPem],
    {},
    /TLS needs both --tls-cert and --tls-key: --tls-key is missing/,
  ],
  ['serve', ['--dev'], { SSEHUB_ANONYMOUS: 'maybe' }, /SSEHUB_ANONYMOUS must be true or false/],
  ['serve', ['--dev', '--port'], {}, /--port <value>' argument missing/],
  ['serve', ['--prot', '1'], {}, /Unknown option '--prot'/],
  ['serve', ['--dev', '--host', ''], {}, /--host must be a host name or an IP address .*got ""/],
  ['serve', ['--dev', '--host', '[::1]'], {}, /--host must be a host name or an IP address/],
  ['serve', ['--dev'], { SSEHUB_HOST: 'http://h:3000' }, /SSEHUB_HOST must be a host name/],
  ['serve', ['--demo', '--demo-symbols', '$$$'], {}, /--demo-symbols: must be 1 to 16 letters/],
  [
    'serve',
    ['--demo', '--demo-monitor-interval', '5'],
    {},
    /--demo-monitor-interval must be 0 \(off\) or at least 10 \(ms\), got "5"/,
  ],
  // serve: keys and algorithms
  ['serve', ['--jwt-alg', 'XX256'], {}, /--jwt-alg must be one of HS256/],
  [
    'serve',
    ['--jwt-key', 'short', '--anonymous'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes \(RFC 7518 §3.2.*\), got 5/,
  ],
  [
    'serve',
    ['--jwt-key', 'k'.repeat(31), '--anonymous'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes.*got 31/,
  ],
  [
    'serve',
    ['--jwt-alg', 'HS384', '--jwt-key', KEY32],
    {},
    /--jwt-key: an HS384 secret must be at least 48 bytes.*got 32/,
  ],
  [
    'serve',
    ['--jwt-alg', 'HS512', '--jwt-key', KEY48],
    {},
    /--jwt-key: an HS512 secret must be at least 64 bytes.*got 48/,
  ],
  [
    'serve',
    ['--publisher-jwt-key', 'short', '--subscriber-jwt-key', KEY32],
    {},
    /--publisher-jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [
    'serve',
    ['--jwt-key', KEY32, '--subscriber-jwt-key', 'short'],
    {},
    /--subscriber-jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [
    'serve',
    ['--dev', '--jwt-key', 'short'],
    {},
    /--jwt-key: an HS256 secret must be at least 32 bytes/,
  ],
  [
    'serve',
    ['--anonymous'],
    { SSEHUB_JWT_KEY: 'short' },
    /SSEHUB_JWT_KEY: an HS256 secret must be at least 32 bytes/,
  ],
  [
    'serve',
    ['--jwt-alg', 'RS256', '--jwt-key', '/nonexistent.pem'],
    {},
    /--jwt-key: RS256 needs a PEM key or the path of a PEM file; cannot read/,
  ],
  // serve: missing keys, once every value is good
  ['serve', [], {}, /^ssehub serve: a publisher key is required: set --jwt-key/],
  [
    'serve',
    ['--publisher-jwt-key', KEY32],
    {},
    /subscribers need a key: set --jwt-key or --subscriber-jwt-key, or allow --anonymous/,
  ],
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

void describe('bad flag values: one line naming the flag, exit 2', () => {
  for (const [command, argv, env, message] of cases) {
    void test(`${command} ${argv.join(' ')} ${JSON.stringify(env)}`, async () => {
      const result = await runHere(command, argv, { ...env });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine(command, result.stderr, message);
    });
  }

  void test('the same as a child process: no stack, exit 2 (redis:/localhost, --port abc)', async () => {
    for (const [args, message] of [
      [
        ['serve', '--dev', '--transport', 'redis:/localhost'],
        /--transport "redis:\/localhost" has no host/,
      ],
      [
        ['serve', '--dev', '--transport', 'redis://localhost:6379/db'],
        /--transport .* the database after the host must be a number/,
      ],
      [['serve', '--port', 'abc'], /--port must be an integer/],
    ] as const) {
      const result = await cli([...args], { SSEHUB_PORT: '0' });
      assert.equal(result.code, 2, result.stderr);
      assertOneLine('serve', result.stderr, message);
    }
  });
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
