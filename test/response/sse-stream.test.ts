/**
 * The runtime-independent stream over an in-memory connection: frames, option
 * checks, close reasons, the abort signal, the slow-consumer rule and the
 * heartbeat skip rule (driven by calling the sweep hook, no clock).
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { isSseError, SseError } from '../../src/protocol/sse-error.js';
import { heartbeatTimerCount, kHeartbeatTick } from '../../src/response/heartbeat.js';
import { SSE_HEADERS } from '../../src/response/response-headers.js';
import { SseStream } from '../../src/response/sse-stream.js';
import { closed, MemoryConnection } from './helpers.js';

const quiet = { heartbeatInterval: false } as const;

void describe('SseStream', () => {
  void it('opens with the SSE headers, then the initial retry frame', () => {
    const conn = new MemoryConnection();
    new SseStream(conn, { ...quiet, retry: 2500, headers: { 'Access-Control-Allow-Origin': '*' } });
    assert.deepEqual(conn.headers, { ...SSE_HEADERS, 'access-control-allow-origin': '*' });
    assert.equal(conn.text, 'retry: 2500\n\n');
  });

  void it('sends no retry frame by default and exposes the last event id', () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet, 'evt-7');
    assert.equal(conn.text, '');
    assert.equal(stream.lastEventId, 'evt-7');
    assert.equal(new SseStream(new MemoryConnection(), quiet).lastEventId, undefined);
  });

  void it('writes events, comments and raw frames as encoded', () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    assert.equal(stream.send({ event: 'update', id: '1', data: 'a\nb' }), true);
    assert.equal(stream.comment('hi'), true);
    assert.equal(stream.send({ retry: 100 }), true);
    assert.equal(conn.text, 'event: update\nid: 1\ndata: a\ndata: b\n\n: hi\n\nretry: 100\n\n');
  });

  void it('writes a pre-encoded Buffer unchanged, the same object to every stream', () => {
    const frame = Buffer.from('data: shared\n\n');
    const conns = [new MemoryConnection(), new MemoryConnection()];
    for (const conn of conns) assert.equal(new SseStream(conn, quiet).writeRaw(frame), true);
    for (const conn of conns) assert.equal(conn.chunks[0], frame);
  });

  void it('throws SSE_ERR_INVALID_FIELD for an unsafe id, and writes nothing', () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    assert.throws(
      () => stream.send({ id: 'a\nb', data: 'x' }),
      (error) => isSseError(error, 'SSE_ERR_INVALID_FIELD') && error.field === 'id',
    );
    assert.equal(conn.chunks.length, 0);
    assert.equal(stream.closed, false);
  });

  void it('rejects invalid options before opening', () => {
    for (const [field, options] of [
      ['retry', { retry: -1 }],
      ['retry', { retry: 1.5 }],
      ['heartbeatInterval', { heartbeatInterval: 0 }],
      ['heartbeatInterval', { heartbeatInterval: 2 ** 31 }],
      ['maxBufferedBytes', { maxBufferedBytes: 0 }],
    ] as const) {
      const conn = new MemoryConnection();
      assert.throws(
        () => new SseStream(conn, options),
        (error: unknown) =>
          error instanceof SseError &&
          error.code === 'SSE_ERR_INVALID_OPTION' &&
          error.field === field &&
          error.message.includes(`"${field}"`),
        JSON.stringify(options),
      );
      assert.equal(conn.sink, undefined, 'nothing was opened');
    }
  });

  void it('close(): ends gracefully with reason server, aborts the signal, then writes return false', async () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    const signal = stream.signal;
    const done = closed(stream);
    stream.close();
    stream.close(); // idempotent
    const [reason, error] = await done;
    assert.equal(reason, 'server');
    assert.equal(error.code, 'SSE_ERR_STREAM_CLOSED');
    assert.equal(conn.ended, true);
    assert.equal(conn.destroyedWith, undefined);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, error);
    assert.equal(stream.closeReason, 'server');
    assert.equal(stream.bufferedBytes, 0);
    assert.equal(stream.send({ data: 'late' }), false);
    assert.equal(stream.comment('late'), false);
    assert.equal(stream.writeRaw('data: late\n\n'), false);
    // A closed stream encodes nothing, so even an invalid event does not throw.
    assert.equal(stream.send({ id: 'bad\n' }), false);
    assert.equal(conn.chunks.length, 0);
  });

  void it('the peer going away closes with reason client and destroys the connection', async () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    const done = closed(stream);
    conn.sink?.connectionClosed();
    conn.sink?.connectionClosed(); // repeats are ignored
    const [reason] = await done;
    assert.equal(reason, 'client');
    assert.ok(conn.destroyedWith);
    assert.equal(stream.signal.aborted, true, 'a signal created after the close is aborted');
  });

  void it('a failing connection closes with reason error and the cause', async () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    const done = closed(stream);
    const cause = new Error('ECONNRESET');
    conn.sink?.connectionFailed(cause);
    const [reason, error] = await done;
    assert.equal(reason, 'error');
    assert.equal(error.cause, cause);
  });

  void it('a write that throws closes with reason error instead of throwing into the app', () => {
    const conn = new MemoryConnection();
    conn.write = () => {
      throw new Error('boom');
    };
    const stream = new SseStream(conn, quiet);
    assert.equal(stream.send({ data: 'x' }), false);
    assert.equal(stream.closeReason, 'error');
  });

  void it('a listener added after the close still runs (on a microtask)', async () => {
    const conn = new MemoryConnection();
    conn.goneBeforeOpen = true;
    const stream = new SseStream(conn, { heartbeatInterval: 1000 });
    assert.equal(stream.closeReason, 'client');
    assert.equal(heartbeatTimerCount(), 0, 'a stream closed at open never joins a heartbeat');
    const [reason] = await closed(stream);
    assert.equal(reason, 'client');
  });

  void it('off() removes a listener; a throwing listener does not stop the others', () => {
    const conn = new MemoryConnection();
    const stream = new SseStream(conn, quiet);
    const calls: string[] = [];
    const removed = (): void => {
      calls.push('removed');
    };
    stream.on('close', () => {
      throw new Error('listener bug');
    });
    stream.on('close', removed).off('close', removed);
    stream.on('close', () => calls.push('kept'));
    // The listener's error is rethrown on a microtask (an uncaught exception,
    // like an EventTarget listener's), not into close(); capture it here.
    const deferred: (() => void)[] = [];
    const microtask = mock.method(globalThis, 'queueMicrotask', (task: () => void) => {
      deferred.push(task);
    });
    try {
      stream.close();
    } finally {
      microtask.mock.restore();
    }
    assert.deepEqual(calls, ['kept']);
    assert.equal(deferred.length, 1);
    assert.throws(() => deferred[0]?.(), /listener bug/);
  });

  void describe('slow consumer', () => {
    void it('cuts the client off once unsent bytes would exceed maxBufferedBytes', async () => {
      const conn = new MemoryConnection();
      const stream = new SseStream(conn, { ...quiet, maxBufferedBytes: 100 });
      const done = closed(stream);
      const frame = `data: ${'x'.repeat(34)}\n\n`; // 42 bytes
      assert.equal(stream.writeRaw(frame), true); // 42
      assert.equal(stream.writeRaw(frame), true); // 84
      assert.equal(stream.writeRaw(frame), false); // 126 > 100: refused
      assert.equal(conn.buffered, 84, 'the refused frame was not written');
      const [reason, error] = await done;
      assert.equal(reason, 'slow-consumer');
      assert.equal(error.code, 'SSE_ERR_SLOW_CONSUMER');
      assert.equal(conn.destroyedWith, error, 'queued bytes are dropped, not flushed');
      assert.equal(conn.ended, false);
    });

    void it('a reader that keeps up is never cut off, and one big frame passes on an empty buffer', () => {
      const conn = new MemoryConnection();
      const stream = new SseStream(conn, { ...quiet, maxBufferedBytes: 100 });
      assert.equal(stream.writeRaw(`data: ${'x'.repeat(500)}\n\n`), true);
      conn.buffered = 0; // the client read it
      for (let i = 0; i < 100; i++) {
        assert.equal(stream.send({ data: String(i) }), true);
        conn.buffered = 0;
      }
      assert.equal(stream.closed, false);
    });
  });

  void describe('heartbeat', () => {
    void it('an idle stream gets an empty comment every other tick; a stream that wrote skips', () => {
      const conn = new MemoryConnection();
      const stream = new SseStream(conn, { heartbeatInterval: 60_000 });
      stream[kHeartbeatTick](); // nothing written yet: heartbeat
      assert.deepEqual(conn.chunks, [':\n\n']);
      stream[kHeartbeatTick](); // the heartbeat counts as a write: skip
      assert.equal(conn.chunks.length, 1);
      stream[kHeartbeatTick](); // idle for a full interval: heartbeat
      assert.equal(conn.chunks.length, 2);
      stream.send({ data: 'busy' });
      stream[kHeartbeatTick](); // wrote since the last tick: skip
      assert.equal(conn.chunks.length, 3);
      stream.close();
    });

    void it('shares one timer per interval and stops it when the last stream closes', () => {
      const before = heartbeatTimerCount();
      const streams = [1, 2, 3].map(
        () => new SseStream(new MemoryConnection(), { heartbeatInterval: 12_345 }),
      );
      const other = new SseStream(new MemoryConnection(), { heartbeatInterval: 23_456 });
      assert.equal(heartbeatTimerCount(), before + 2);
      for (const stream of streams) stream.close();
      assert.equal(heartbeatTimerCount(), before + 1);
      other.close();
      assert.equal(heartbeatTimerCount(), before);
    });

    void it('a heartbeat that finds the client too slow closes it', () => {
      const conn = new MemoryConnection();
      const stream = new SseStream(conn, { heartbeatInterval: 60_000, maxBufferedBytes: 10 });
      conn.buffered = 10;
      stream[kHeartbeatTick]();
      assert.equal(stream.closeReason, 'slow-consumer');
    });
  });
});
