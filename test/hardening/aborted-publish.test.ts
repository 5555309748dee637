/**
 * Finding 12 (aborted publish body): a publisher that closed its connection
 * mid-body got a 500 logged at error level ("request failed"), which pages
 * an operator for a client's doing. Now it is a 400 logged at info, nothing
 * is published, and the hub serves on.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { publisherToken, startHub, until, type TestHub } from '../hub-server/helpers.js';

interface LogLine {
  level: number;
  msg: string;
  status?: number;
}

for (const leanSubscribers of [true, false]) {
  void describe(`a publish body cut off by the client (${leanSubscribers ? 'front door' : 'node:http only'})`, () => {
    const lines: LogLine[] = [];
    const statuses: number[] = [];
    let hub: TestHub;
    let port: number;
    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString('utf8').split('\n')) {
            if (line !== '') lines.push(JSON.parse(line) as LogLine);
          }
          callback();
        },
      });
      hub = await startHub({
        leanSubscribers,
        logger: pino({ level: 'info' }, sink),
        onError: (status) => statuses.push(status),
      });
      port = Number(new URL(hub.base).port);
    });
    after(() => hub.close());

    void it('is a 4xx logged at info, not a 500 at error; nothing is published', async () => {
      const token = await publisherToken();
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /.well-known/mercure HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n' +
          'topic=https%3A%2F%2Fexample.com%2Fcut&data=half',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await until(() => statuses.length > 0, 'the refusal to be reported');
      const status = statuses[0] as number;
      assert.ok(status >= 400 && status < 500, `a 4xx, got ${status}`);
      const refusal = lines.find((line) => line.status === status);
      assert.ok(refusal !== undefined, 'the refusal is logged');
      assert.equal(refusal.level, 30, 'at info');
      assert.deepEqual(
        lines.filter((line) => line.level >= 50),
        [],
        'nothing logged at error',
      );
      assert.equal(hub.hubServer.hub.stats.updatesPublished, 0);
    });
  });
}
