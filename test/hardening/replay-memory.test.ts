/**
 * Finding 3: replay copied the whole history per request. With history at
 * its 16 MB cap, 60 anonymous `GET ?topic=*` with `Last-Event-ID: earliest`
 * that never read took a hub from 104 to 1,012 MB of RSS (each replay was
 * concatenated into one buffer per subscriber). Replay now streams page by
 * page with backpressure: a subscriber that does not read holds at most a
 * page and its socket buffer, and frames are shared, not copied.
 *
 * The hub runs in its own process (`ssehub serve`); its RSS is read from
 * /proc. Bounded: 60 connections, a few seconds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { serve, type Served } from '../cli/helpers.js';
import { publish, SECRET, token } from '../hub-server/helpers.js';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const sockets: Socket[] = [];
after(() => {
  for (const socket of sockets) socket.destroy();
});

/** A subscriber that asks for the whole history and then never reads. */
function stalledSubscriber(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'GET /.well-known/mercure?topic=* HTTP/1.1\r\nHost: hub.test\r\nLast-Event-ID: earliest\r\n\r\n',
      );
      // Read the first bytes (the head), then stop reading for good.
      socket.once('data', () => {
        socket.pause();
        resolve();
      });
    });
    socket.on('error', () => undefined);
    sockets.push(socket);
  });
}

void describe('replay memory is bounded per subscriber', () => {
  let hub: Served | undefined;
  after(() => hub?.child.kill('SIGKILL'));

  void it('60 stalled `earliest` subscribers on a full 16 MB history: RSS grows by far less than the history each', async () => {
    hub = await serve(['--jwt-key', SECRET, '--anonymous', '--history-size', '1000']);
    const port = Number(new URL(hub.base).port);
    const pub = await token({ publish: ['*'] });
    const data = 'x'.repeat(1_000_000);
    for (let i = 0; i < 17; i++) {
      const res = await publish(hub.hubUrl, { topic: `https://example.com/big/${i}`, data }, pub);
      assert.equal(res.status, 200);
    }
    const pid = hub.child.pid as number;
    const before = rssMb(pid);
    for (let i = 0; i < 60; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => stalledSubscriber(port)));
    }
    // Let the hub do all it will do for them.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const grown = rssMb(pid) - before;
    const health = (await (await fetch(`${hub.base}/healthz`)).json()) as { subscribers: number };
    assert.ok(
      health.subscribers >= 1,
      'the stalled subscribers are held or were cut, the hub answers',
    );
    // 60 copies of the history would be ~960 MB; shared frames and one page each stay far below.
    if (process.env.HARDENING_DEBUG !== undefined) console.log(`RSS grew ${grown.toFixed(0)} MB`);
    assert.ok(grown < 250, `RSS grew ${grown.toFixed(0)} MB`);
  });
});
