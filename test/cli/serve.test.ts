/**
 * `ssehub serve` as a child process: the end-to-end Mercure flow with the
 * CLI publisher and an EventSource, development mode, flags and environment
 * variables, `--help`, exit codes, graceful shutdown on SIGTERM.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVE_FLAGS } from '../../src/cli/serve.js';
import { envName } from '../../src/cli/flags.js';
import { signToken } from '../../src/hub-server/index.js';
import { subscribeUrl, Subscriber, until, within } from '../hub-server/helpers.js';
import { cli, serve } from './helpers.js';

void describe('ssehub serve --dev, end to end', () => {
  void test('EventSource subscriber + ssehub publish; SIGTERM ends streams and exits 0', async () => {
    const served = await serve(['--dev']);
    // The start-up log names the key and gives a ready-to-use token and curl line.
    const devLog = served.logs.find((l) => typeof l.publisherToken === 'string');
    assert.ok(devLog, 'a log entry with the publisher token');
    assert.equal(devLog.jwtKey, '!ChangeThisMercureHubJWTSecretKey!');
    assert.match(String(devLog.curl), /^curl -d 'topic=.*' -H 'Authorization: Bearer ey/);
    // stderr is another pipe: the banner may be read just after the ready line.
    await until(() => /publisher JWT: +ey/.test(served.stderr()), 'the banner on stderr');
    assert.match(served.stderr(), /publisher JWT: +ey/);

    // Anonymous subscriber (dev mode), as a browser would.
    const sub = new Subscriber(subscribeUrl(served.hubUrl, ['https://example.com/books/{id}']));
    await sub.opened;
    // The printed token works with the CLI publisher.
    const published = await cli([
      'publish',
      '--hub',
      served.hubUrl,
      '--topic',
      'https://example.com/books/1',
      '--data',
      'hello from the CLI',
      '--token',
      String(devLog.publisherToken),
    ]);
    assert.equal(published.code, 0, published.stderr);
    const id = published.stdout.trim();
    assert.match(id, /^urn:uuid:/);
    const event = await sub.events.next('the update');
    assert.deepEqual(event, { type: 'message', data: 'hello from the CLI', lastEventId: id });

    // The page exposes the dev tokens in dev mode.
    const tokens = (await (await fetch(`${served.base}/dev-tokens.json`)).json()) as Record<
      string,
      string
    >;
    assert.equal(tokens.publisherToken, devLog.publisherToken);

    // Graceful shutdown: the open stream ends, the process exits 0.
    const raw = await fetch(subscribeUrl(served.hubUrl, ['*']));
    const body = raw.text();
    served.child.kill('SIGTERM');
    assert.equal(await within(served.exit, 'exit after SIGTERM', 10_000), 0);
    await within(body, 'the stream to end');
    assert.ok(served.logs.some((l) => l.msg === 'shut down'));
    sub.close();
  });
});

void describe('ssehub serve options', () => {
  void test('--help lists every flag with its environment variable', async () => {
    const { code, stdout } = await cli(['serve', '--help']);
    assert.equal(code, 0);
    for (const flag of SERVE_FLAGS) {
      assert.ok(stdout.includes(`--${flag.name}`), `--${flag.name} is listed`);
      if (flag.env !== false)
        assert.ok(stdout.includes(envName(flag.name)), `${envName(flag.name)} is listed`);
    }
    for (const flag of [
      'port',
      'host',
      'jwt-key',
      'publisher-jwt-key',
      'subscriber-jwt-key',
      'jwt-alg',
      'anonymous',
      'cors-origin',
      'history-size',
      'heartbeat',
      'max-data-bytes',
      'max-topics',
      'log-level',
      'dev',
    ]) {
      assert.ok(
        SERVE_FLAGS.some((f) => f.name === flag),
        `--${flag} exists`,
      );
    }
  });

  void test('environment variables configure the server; a flag wins over its variable', async () => {
    const served = await serve(['--max-topics', '2'], {
      SSEHUB_JWT_KEY: 'env-secret-env-secret-env-secret!',
      SSEHUB_ANONYMOUS: 'false',
      SSEHUB_MAX_TOPICS: '50',
      SSEHUB_CORS_ORIGIN: 'https://a.example, https://b.example',
    });
    try {
      const bearer = await signToken({ key: 'env-secret-env-secret-env-secret!', publish: ['*'] });
      const ok = await fetch(served.hubUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://b.example',
        },
        body: 'topic=a&topic=b',
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://b.example');
      const tooMany = await fetch(served.hubUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'topic=a&topic=b&topic=c',
      });
      assert.equal(tooMany.status, 413); // Mercure 1.0: a publish over a limit
      assert.equal(await tooMany.text(), 'too many topics (max 2)\n'); // the flag, not the variable
      const anonymous = await fetch(subscribeUrl(served.hubUrl, ['*']));
      assert.equal(anonymous.status, 401); // SSEHUB_ANONYMOUS=false
    } finally {
      served.child.kill('SIGTERM');
      assert.equal(await within(served.exit, 'exit', 10_000), 0);
    }
  });

  const invalid: [string, string[], Record<string, string>, RegExp][] = [
    [
      'a non-numeric --port',
      ['--dev', '--port', 'abc'],
      {},
      /--port must be an integer between 0 and 65535, got "abc"/,
    ],
    [
      'a bad SSEHUB_PORT (names the variable)',
      ['--dev'],
      { SSEHUB_PORT: '99999' },
      /SSEHUB_PORT must be an integer between 0 and 65535/,
    ],
    ['an unknown --jwt-alg', ['--dev', '--jwt-alg', 'XX256'], {}, /--jwt-alg must be one of HS256/],
    ['an unknown --log-level', ['--dev', '--log-level', 'loud'], {}, /--log-level must be one of/],
    [
      'a bad SSEHUB_ANONYMOUS',
      ['--dev'],
      { SSEHUB_ANONYMOUS: 'maybe' },
      /SSEHUB_ANONYMOUS must be true or false/,
    ],
    ['no key outside dev mode', [], {}, /a publisher key is required: set --jwt-key/],
    [
      'a missing PEM file for RS256',
      ['--jwt-alg', 'RS256', '--jwt-key', '/nonexistent.pem'],
      {},
      /--jwt-key: RS256 needs a PEM key or the path of a PEM file; cannot read "\/nonexistent.pem" \(ENOENT\)/,
    ],
    [
      'an invalid --cors-origin',
      ['--dev', '--cors-origin', 'app.example'],
      {},
      /--cors-origin: has an invalid origin "app.example"/,
    ],
    ['an unknown flag', ['--prot', '1'], {}, /Unknown option '--prot'/],
    [
      'a bad --metrics-listen',
      ['--dev', '--metrics-listen', '9090'],
      {},
      /--metrics-listen must be host:port \(e\.g\. 127\.0\.0\.1:9090, \[::1\]:9090\), got "9090"/,
    ],
    [
      'a non-numeric --headers-timeout',
      ['--dev', '--headers-timeout', '30s'],
      {},
      /--headers-timeout must be an integer between 0 and 2147483647/,
    ],
  ];
  for (const [name, args, env, message] of invalid) {
    void test(`exit 2 on ${name}`, async () => {
      // SSEHUB_PORT=0: should a case wrongly start, it takes a free port (and the timeout ends it).
      const result = await cli(['serve', ...args], { SSEHUB_PORT: '0', ...env });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    });
  }
});
