/**
 * `ssehub listen` as a user runs it: a spawned CLI subscribed to a real hub
 * (createHubServer on port 0). Readable and NDJSON output, Last-Event-ID
 * replay, environment variables, reconnection logged to stderr, exit 0 on
 * SIGINT and SIGTERM, exit 1 naming the status and the hub's message when
 * refused, exit 2 on bad usage.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  publish,
  publisherToken,
  startHub,
  token,
  until,
  within,
  type TestHub,
} from '../hub-server/helpers.js';

const CLI = ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname];

/** A running `ssehub listen` with its output collected. */
class Listener {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('SSEHUB_')),
    );
    this.child = spawn(process.execPath, [...CLI, 'listen', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...clean, ...env },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  /** Waits (bounded) for stderr to match. */
  async stderrMatches(pattern: RegExp): Promise<void> {
    await until(() => pattern.test(this.stderr), `stderr to match ${String(pattern)}`, 15_000);
  }

  /** Waits (bounded) for stdout to hold `n` lines. */
  async stdoutLines(n: number): Promise<string[]> {
    await until(() => this.stdout.split('\n').length > n, `${n} lines on stdout`, 15_000);
    return this.stdout.split('\n').slice(0, n);
  }

  /** Sends `signal` and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    this.child.kill(signal);
    return within(this.exited, 'the CLI to exit', 15_000);
  }
}

const listeners: Listener[] = [];
function listen(args: string[], env?: Record<string, string>): Listener {
  const listener = new Listener(args, env);
  listeners.push(listener);
  return listener;
}

let hub: TestHub;
before(async () => {
  hub = await startHub();
});
after(async () => {
  for (const listener of listeners) {
    if (listener.child.exitCode === null) listener.child.kill('SIGKILL');
  }
  await hub.close();
});

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

void describe('ssehub listen', () => {
  void it('prints events readably as they arrive; exits 0 on SIGINT', async () => {
    const topic = 'https://example.com/readable';
    const cli = listen([
      hub.hubUrl,
      '--topic',
      topic,
      '--token',
      await token({ subscribe: [topic] }),
    ]);
    await cli.stderrMatches(/connected to .* \(HTTP 200\)/);
    await publish(
      hub.hubUrl,
      { topic, data: 'line 1\nline 2', id: 'r-1', type: 'note' },
      await publisherToken(),
    );
    await publish(hub.hubUrl, { topic, data: 'plain', id: 'r-2' }, await publisherToken());
    const lines = await cli.stdoutLines(7);
    assert.match(lines[0] ?? '', new RegExp(`^\\[${ISO}\\] note id=r-1$`));
    assert.deepEqual(lines.slice(1, 4), ['line 1', 'line 2', '']);
    assert.match(lines[4] ?? '', new RegExp(`^\\[${ISO}\\] message id=r-2$`));
    assert.deepEqual(lines.slice(5, 7), ['plain', '']);
    assert.equal(await cli.stop('SIGINT'), 0);
    assert.doesNotMatch(cli.stderr, /error/i);
  });

  void it('--json prints NDJSON; the hub URL and token can come from the environment; SIGTERM exits 0', async () => {
    const topic = 'https://example.com/json';
    const cli = listen(['--topic', topic, '--json'], {
      SSEHUB_HUB_URL: hub.hubUrl,
      SSEHUB_TOKEN: await token({ subscribe: [topic] }),
    });
    await cli.stderrMatches(/connected to/);
    await publish(hub.hubUrl, { topic, data: '{"a":1}', id: 'j-1' }, await publisherToken());
    await publish(hub.hubUrl, { topic, data: 'x\ny', type: 't' }, await publisherToken());
    const lines = await cli.stdoutLines(2);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map(({ type, id, data, origin }) => ({ type, id, data, origin })),
      [
        { type: 'message', id: 'j-1', data: '{"a":1}', origin: hub.base },
        { type: 't', id: events[1]?.id, data: 'x\ny', origin: hub.base },
      ],
    );
    assert.match(String(events[1]?.id), /^urn:uuid:/, 'the id the hub generated');
    for (const event of events) assert.match(String(event.receivedAt), new RegExp(`^${ISO}$`));
    assert.equal(await cli.stop('SIGTERM'), 0);
  });

  void it('--match and --match-urlpattern subscribe with the Mercure 1.0 parameters', async () => {
    const cli = listen([
      hub.hubUrl,
      '--match',
      'urn:exact',
      '--match-urlpattern',
      '/books/:id',
      '--json',
      '--token',
      await token({ subscribe: ['urn:none'] }),
    ]);
    await cli.stderrMatches(/connected to .*match=urn%3Aexact&match_urlpattern=%2Fbooks%2F%3Aid/);
    for (const [topic, data] of [
      ['urn:exact', 'exact'],
      ['urn:exact/more', 'not exact'],
      [`${hub.base}/books/7`, 'pattern'],
    ]) {
      await publish(hub.hubUrl, { topic: topic ?? '', data: data ?? '' }, await publisherToken());
    }
    const lines = await cli.stdoutLines(2);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { data: string }).data),
      ['exact', 'pattern'],
    );
    assert.equal(await cli.stop('SIGINT'), 0);
  });

  void it('--last-event-id replays what followed that event', async () => {
    const topic = 'https://example.com/replay';
    for (const id of ['p-1', 'p-2', 'p-3']) {
      await publish(hub.hubUrl, { topic, data: `data ${id}`, id }, await publisherToken());
    }
    const cli = listen([
      hub.hubUrl,
      '-t',
      topic,
      '--json',
      '--last-event-id',
      'p-1',
      '--token',
      await token({ subscribe: [topic] }),
    ]);
    const lines = await cli.stdoutLines(2);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { id: string }).id),
      ['p-2', 'p-3'],
    );
    assert.equal(await cli.stop(), 0);
  });

  void it('exits 1 naming the status and the hub message when refused (401)', async () => {
    const cli = listen([hub.hubUrl, '--topic', 'https://example.com/secret']);
    assert.equal(await within(cli.exited, 'the CLI to exit', 15_000), 1);
    assert.match(cli.stderr, /^ssehub listen: HTTP 401 Unauthorized: an access token is required/m);
    assert.equal(cli.stdout, '');
  });

  void it('exits 1 on a token signed with another key (401) and on 404', async () => {
    const forbidden = listen([
      `${hub.base}/.well-known/mercure`,
      '--topic',
      'a',
      '--token',
      await token({ publish: ['*'], key: 'another-secret-that-is-long-enough-for-hs256' }),
    ]);
    assert.equal(await within(forbidden.exited, 'exit', 15_000), 1);
    assert.match(forbidden.stderr, /^ssehub listen: HTTP 401 Unauthorized: /m);
    const missing = listen([`${hub.base}/nowhere`]);
    assert.equal(await within(missing.exited, 'exit', 15_000), 1);
    assert.match(missing.stderr, /HTTP 404/);
  });

  void it('exits 2 on bad usage; --help exits 0', async () => {
    const noTopic = listen([], { SSEHUB_HUB_URL: hub.hubUrl });
    assert.equal(await within(noTopic.exited, 'exit', 15_000), 2);
    assert.match(noTopic.stderr, /--topic, --match or --match-urlpattern is required/);
    const badUrl = listen(['not-a-url']);
    assert.equal(await within(badUrl.exited, 'exit', 15_000), 2);
    assert.match(badUrl.stderr, /must be an absolute URL/);
    const help = listen(['--help']);
    assert.equal(await within(help.exited, 'exit', 15_000), 0);
    assert.match(help.stdout, /^Usage: ssehub listen/);
    assert.match(help.stdout, /--last-event-id <id>/);
  });
});

void describe('ssehub listen on a plain SSE URL', () => {
  let server: Server;
  let url: string;
  const lastEventIds: (string | undefined)[] = [];
  before(async () => {
    server = createServer((req, res) => {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // The first stream ends after one event: the CLI reconnects.
      if (lastEventIds.length === 1) res.end('id: 1\ndata: first\n\n');
      else res.write('data: second\n\n');
    });
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), 'listen');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await within(once(server, 'close'), 'close');
  });

  void it('reconnects by itself with Last-Event-ID and logs it to stderr', async () => {
    const cli = listen([url, '--json']);
    const lines = await cli.stdoutLines(2);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { data: string }).data),
      ['first', 'second'],
    );
    assert.match(cli.stderr, /the server ended the stream; reconnecting in \d+ ms/);
    assert.match(cli.stderr, /reconnected to/);
    assert.deepEqual(lastEventIds, [undefined, '1']);
    assert.equal(await cli.stop(), 0);
  });
});
