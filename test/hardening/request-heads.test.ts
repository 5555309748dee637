/**
 * Finding 7 (request heads): control bytes in a header value, or two Host
 * headers, got 200 from the front door while node's server refused them;
 * RFC 9110 §5.5 and RFC 9112 §3.2 ask for 400. Now every path of the
 * standalone server answers 400 (the front door hands what it does not
 * fully accept to node, and the subscribe core refuses a second Host on
 * every entry point), never a 500. The absolute form of a request target is
 * accepted (RFC 9112 §3.2.2).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startHub, type TestHub } from '../hub-server/helpers.js';

/** Sends raw bytes; resolves to the status line's code (0 when dropped). */
function rawStatus(port: number, head: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.from(head, 'latin1'));
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status !== null) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      resolve(0);
    });
  });
}

const PATH = '/.well-known/mercure?topic=https%3A%2F%2Fexample.com%2Fx';

for (const leanSubscribers of [true, false]) {
  void describe(`request heads (${leanSubscribers ? 'front door' : 'node:http only'})`, () => {
    let hub: TestHub;
    let port: number;
    before(async () => {
      hub = await startHub({ anonymous: true, leanSubscribers });
      port = Number(new URL(hub.base).port);
    });
    after(() => hub.close());

    for (const [name, value] of [
      ['\\x01', 'a\x01b'],
      ['\\x1f', 'a\x1fb'],
      ['DEL', 'a\x7fb'],
      ['NUL', 'a\x00b'],
    ] as const) {
      void it(`a ${name} byte in a header value → 400`, async () => {
        const status = await rawStatus(
          port,
          `GET ${PATH} HTTP/1.1\r\nHost: h\r\nX-A: ${value}\r\n\r\n`,
        );
        assert.equal(status, 400);
      });
    }

    void it('two Host headers → 400', async () => {
      const status = await rawStatus(port, `GET ${PATH} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`);
      assert.equal(status, 400);
    });

    void it('two Host headers on another route → 400', async () => {
      const status = await rawStatus(port, 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
      assert.equal(status, 400);
    });

    void it('the absolute form of the target is accepted', async () => {
      const status = await rawStatus(port, `GET http://h${PATH} HTTP/1.1\r\nHost: h\r\n\r\n`);
      assert.equal(status, 200);
    });

    void it('a non-ASCII byte in a header value is fine (obs-text)', async () => {
      const status = await rawStatus(
        port,
        `GET ${PATH} HTTP/1.1\r\nHost: h\r\nX-A: caf\xe9\r\n\r\n`,
      );
      assert.equal(status, 200);
    });
  });
}
