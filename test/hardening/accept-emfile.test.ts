/**
 * Finding 2 (out of file descriptors): under `ulimit -n 1024`, 1,100 idle
 * connections left no descriptor for a real subscriber, and an `EMFILE`
 * reported on accept was an unhandled `error` event: the process, and every
 * subscriber, would end. Now:
 *
 * - by default the hub stops admitting connections below the open-file
 *   limit (`maxConnections: 'auto'`), logs it once, and admits again when
 *   connections close;
 * - past the limit anyway (`maxConnections: 0`), libuv closes what it cannot
 *   accept, and established subscribers keep receiving;
 * - an `EMFILE` reported to the server pauses accepting (the listening
 *   socket closes, established connections carry on), logged once, and the
 *   server listens again on the same port after a backoff.
 *
 * Bounded: one child process per case under `ulimit -n 64`, 80 connections,
 * every wait capped; loopback only.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startHub, until, within, type TestHub } from '../hub-server/helpers.js';

interface Client {
  socket: Socket;
  received: string;
  closed: boolean;
  refused: boolean;
}

/** Opens a connection; with `topic`, sends a subscribe head. */
function dial(port: number, topic?: string): Client {
  const socket = connect(port, '127.0.0.1');
  const client: Client = { socket, received: '', closed: false, refused: false };
  socket.on('data', (chunk: Buffer) => (client.received += chunk.toString('latin1')));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNREFUSED') client.refused = true;
  });
  socket.on('close', () => (client.closed = true));
  if (topic !== undefined) {
    socket.write(`GET /.well-known/mercure?topic=${topic} HTTP/1.1\r\nHost: h\r\n\r\n`);
  }
  return client;
}

/** Subscribes, retrying while connections are refused; resolves once streaming. */
async function subscribe(port: number, topic: string): Promise<Client> {
  const started = Date.now();
  for (;;) {
    const client = dial(port, topic);
    await until(() => client.closed || client.received.startsWith('HTTP/1.1 200'), 'an answer');
    if (!client.closed) return client;
    assert.ok(Date.now() - started < 5000, 'a subscriber is admitted within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface LogLine {
  level: number;
  msg: string;
}

void describe('EMFILE reported on accept', () => {
  const lines: LogLine[] = [];
  let hub: TestHub;
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line !== '') lines.push(JSON.parse(line) as LogLine);
        }
        callback();
      },
    });
    hub = await startHub({ anonymous: true, logger: pino({ level: 'info' }, sink) });
  });
  after(() => hub.close());

  void it('pauses accepting, keeps the established stream, listens again on the same port', async () => {
    const port = Number(new URL(hub.base).port);
    const established = await subscribe(port, 'x');
    const listener = hub.hubServer.listener;
    for (let i = 0; i < 3; i++) {
      listener.emit(
        'error',
        Object.assign(new Error('accept EMFILE'), {
          code: 'EMFILE',
          errno: -24,
          syscall: 'accept',
        }),
      );
    }
    assert.equal(listener.listening, false, 'accepting paused');
    const during = dial(port, 'x');
    await until(() => during.closed, 'the connection during the pause to be refused');
    assert.equal(during.refused, true);
    await hub.hubServer.hub.publish({ topics: ['x'], data: 'while paused' });
    await until(() => established.received.includes('data: while paused'), 'the update');
    await until(() => listener.listening, 'listening again', 3000);
    const later = await subscribe(port, 'x');
    await hub.hubServer.hub.publish({ topics: ['x'], data: 'after' });
    await until(
      () => later.received.includes('data: after') && established.received.includes('data: after'),
      'the update on both streams',
    );
    const warnings = lines.filter((line) => line.level === 40);
    assert.equal(warnings.length, 1, 'logged once');
    assert.match(warnings[0]?.msg ?? '', /out of file descriptors: accepting paused/);
    const metrics = await (await fetch(`${hub.base}/metrics`)).text();
    assert.match(metrics, /^ssehub_accept_pauses_total 1$/m);
    established.socket.destroy();
    later.socket.destroy();
  });
});

const FIXTURE = fileURLToPath(new URL('../fixtures/hardening/fd-limit-hub.ts', import.meta.url));

/** The hub in a child process under `ulimit -n 64`. */
async function childHub(
  limit: string,
): Promise<{ child: ChildProcessWithoutNullStreams; port: number; logs: LogLine[] }> {
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n 64 && exec "$0" --import tsx "$1" "$2"', process.execPath, FIXTURE, limit],
    { stdio: 'pipe' },
  );
  const logs: LogLine[] = [];
  let port = 0;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      if (line.startsWith('ready ')) port = Number(line.slice(6));
      else if (line.startsWith('{')) logs.push(JSON.parse(line) as LogLine);
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await until(() => port !== 0 || child.exitCode !== null, 'the child hub to start', 20_000);
  assert.notEqual(port, 0, `the child hub started: ${stderr}`);
  return { child, port, logs };
}

for (const [limit, name] of [
  ['auto', 'the default limit, below the open-file limit'],
  ['0', 'no connection limit: past the open-file limit'],
] as const) {
  void describe(`ulimit -n 64, ${name}`, () => {
    let hub: Awaited<ReturnType<typeof childHub>>;
    const flood: Client[] = [];
    before(async () => {
      hub = await childHub(limit);
    });
    after(async () => {
      for (const client of flood) client.socket.destroy();
      if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
      await within(
        new Promise((resolve) => {
          if (hub.child.exitCode !== null) resolve(undefined);
          else hub.child.once('exit', resolve);
        }),
        'the child to exit',
      );
    });

    void it('an established subscriber keeps receiving; past the limit new connections are closed; then admitted again', async () => {
      const established = await subscribe(hub.port, 't');
      for (let i = 0; i < 80; i++) {
        flood.push(dial(hub.port));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const closed = flood.filter((c) => c.closed).length;
      assert.ok(closed > 0, 'connections past the limit are closed');
      assert.ok(closed < flood.length, 'connections within the limit stay');
      hub.child.stdin.write('during the flood\n');
      await until(() => established.received.includes('data: during the flood'), 'the update');
      assert.equal(hub.child.exitCode, null, 'the hub is alive');
      if (limit === 'auto') {
        const refusals = hub.logs.filter((line) =>
          /connection refused: --max-connections/.test(line.msg),
        );
        assert.equal(refusals.length, 1, 'logged once');
      }
      for (const client of flood) client.socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const later = await subscribe(hub.port, 't');
      hub.child.stdin.write('after\n');
      await until(
        () =>
          later.received.includes('data: after') && established.received.includes('data: after'),
        'the update on both streams',
      );
      hub.child.stdin.write('exit\n');
      established.socket.destroy();
      later.socket.destroy();
    });
  });
}
