/**
 * A subscribe answer never ends, so an HTTP/1.1 request pipelined behind it
 * on the same connection can never be answered. Nothing may be kept for it:
 * node's server would parse every pipelined request, and the hub would
 * register a subscriber for each (counted against `maxSubscribers`, its
 * updates buffered in a response that never reaches the socket). Now a
 * subscribe request is handled only when its turn comes (behind a live
 * stream: never), at most 16 requests wait on one connection (one more
 * closes it), requests behind a refused subscribe are answered in order as
 * node would; bytes after a subscribe the front door served are read and
 * dropped.
 *
 * Bounded: 200 pipelined requests in one write, loopback only.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startHub, until, type TestHub } from '../hub-server/helpers.js';

const HEAD = 'GET /.well-known/mercure?topic=p HTTP/1.1\r\nHost: h\r\n\r\n';

for (const leanSubscribers of [true, false]) {
  void describe(`pipelined requests behind a subscribe (${leanSubscribers ? 'front door' : 'node:http only'})`, () => {
    let hub: TestHub;
    let port: number;
    before(async () => {
      hub = await startHub({ anonymous: true, leanSubscribers });
      port = Number(new URL(hub.base).port);
    });
    after(() => hub.close());

    void it('200 subscribe requests in one write: no subscriber is kept for the ones behind the first', async () => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let closed = false;
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => (closed = true));
      socket.write(HEAD.repeat(200));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(
        hub.hubServer.hub.subscriberCount <= 1,
        `subscribers: ${hub.hubServer.hub.subscriberCount}`,
      );
      await until(() => closed || hub.hubServer.hub.subscriberCount <= 1, 'settled');
      socket.destroy();
      await until(() => hub.hubServer.hub.subscriberCount === 0, 'no subscriber left');
      assert.ok(received.split('HTTP/1.1 200').length - 1 <= 1, 'at most one stream answered');
    });

    void it('three requests pipelined behind a subscribe: unanswered, the stream carries on', async () => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.write(HEAD.repeat(4));
      await until(() => received.startsWith('HTTP/1.1 200'), 'the stream');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(hub.hubServer.hub.subscriberCount, 1);
      await hub.hubServer.hub.publish({ topics: ['p'], data: 'streaming' });
      await until(() => received.includes('data: streaming'), 'the update');
      assert.equal(received.split('HTTP/1.1').length - 1, 1, 'one answer');
      socket.destroy();
      await until(() => hub.hubServer.hub.subscriberCount === 0, 'no subscriber left');
    });

    void it('requests behind a refused subscribe are answered in order', async () => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let closed = false;
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => (closed = true));
      socket.write(
        'GET /.well-known/mercure HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\n',
      );
      await until(() => /HTTP\/1\.1 400 [\s\S]*HTTP\/1\.1 200 /.test(received), 'both answers');
      assert.equal(closed, false);
      socket.destroy();
    });

    void it('bytes sent after a served subscribe are dropped; the stream carries on', async () => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.write(HEAD);
      await until(() => received.startsWith('HTTP/1.1 200'), 'the stream');
      for (let i = 0; i < 50; i++) socket.write(HEAD);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const count = hub.hubServer.hub.subscriberCount;
      assert.ok(count <= 1, `subscribers: ${count}`);
      if (count === 1) {
        await hub.hubServer.hub.publish({ topics: ['p'], data: 'still here' });
        await until(() => received.includes('data: still here'), 'the update');
      }
      socket.destroy();
      await until(() => hub.hubServer.hub.subscriberCount === 0, 'no subscriber left');
    });
  });
}
