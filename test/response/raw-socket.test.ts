/**
 * createRawSseStream on a real socket pair: what it refuses before writing,
 * and how it notices a socket that is already gone.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isSseError } from '../../src/protocol/sse-error.js';
import { createRawSseStream, type RawRequestHead } from '../../src/response/index.js';
import { within } from './helpers.js';

const HEAD: RawRequestHead = {
  method: 'GET',
  url: '/events?lastEventID=q1',
  httpVersionMinor: 1,
  headers: { host: 'x' },
};

void describe('createRawSseStream', () => {
  const server = createServer();
  const accepted: Socket[] = [];
  let port = 0;
  before(async () => {
    server.on('connection', (socket) => accepted.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
  });

  async function pair(): Promise<{ serverSide: Socket; client: Socket; received: () => string }> {
    const client = connect(port, '127.0.0.1');
    let text = '';
    client.setEncoding('latin1');
    client.on('data', (data: string) => {
      text += data;
    });
    await within(once(server, 'connection'), 'the connection');
    return { serverSide: accepted.at(-1) as Socket, client, received: () => text };
  }

  void it('refuses a header with CR/LF or a bad name before writing anything', async () => {
    const { serverSide, client, received } = await pair();
    for (const headers of [{ 'x-a': 'ok\r\nx-injected: 1' }, { 'bad name': 'v' }]) {
      assert.throws(
        () => createRawSseStream(serverSide, HEAD, { headers, heartbeatInterval: false }),
        (error: unknown) =>
          isSseError(error, 'SSE_ERR_INVALID_OPTION') && error.field === 'headers',
      );
    }
    // Nothing reached the client: a valid stream's head is the first thing it sees.
    const stream = createRawSseStream(serverSide, HEAD, { heartbeatInterval: false });
    assert.equal(stream.lastEventId, 'q1');
    stream.send({ data: 'hi' });
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (received().includes('data: hi')) resolve();
          else setTimeout(check, 5);
        };
        check();
      }),
      'the frame',
    );
    assert.match(received(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(received(), /x-injected/);
    stream.close();
    client.destroy();
  });

  void it('frames every write as one chunk, byte-exact, small (copied) and large (corked) alike', async () => {
    const { serverSide, client, received } = await pair();
    const stream = createRawSseStream(serverSide, HEAD, { heartbeatInterval: false });
    // UTF-8 bytes: the chunk size counts bytes, not characters.
    const frames = ['data: é€\n\n', `data: ${'x'.repeat(16 * 1024)}\n\n`, 'data: z\n\n'];
    for (const frame of frames) stream.writeRaw(Buffer.from(frame, 'utf8'));
    const body = (): string => received().slice(received().indexOf('\r\n\r\n') + 4);
    const expected = frames
      .map((frame) => {
        const bytes = Buffer.from(frame, 'utf8');
        return `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;
      })
      .join('');
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (body().length >= expected.length) resolve();
          else setTimeout(check, 5);
        };
        check();
      }),
      'the chunks',
    );
    assert.match(received(), /\r\ntransfer-encoding: chunked\r\n/);
    assert.equal(body(), expected);
    stream.close();
    client.destroy();
  });

  void it('frames a shared chunk once for many streams, byte-exact on each, whatever the order', async () => {
    const a = await pair();
    const b = await pair();
    const streamA = createRawSseStream(a.serverSide, HEAD, { heartbeatInterval: false });
    const streamB = createRawSseStream(b.serverSide, HEAD, { heartbeatInterval: false });
    const small = Buffer.from('data: é€\n\n', 'utf8');
    const large = Buffer.from(`data: ${'y'.repeat(20 * 1024)}\n\n`, 'utf8');
    const twin = Buffer.from('data: twin\n\n', 'utf8');
    const shared = { shared: true };
    // Interleaved: the one remembered framing is replaced and taken up again;
    // an unshared write in between is framed on its own.
    streamA.writeRaw(small, shared);
    streamB.writeRaw(small, shared);
    streamA.writeRaw(large, shared);
    streamB.writeRaw(Buffer.from('data: own\n\n', 'utf8'));
    streamB.writeRaw(large, shared);
    streamA.writeRaw(small, shared);
    streamB.writeRaw(twin, shared);
    streamA.writeRaw(Buffer.from(twin), shared);
    const chunk = (text: string): string => {
      const bytes = Buffer.from(text, 'utf8');
      return `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;
    };
    const expectedA = [small, large, small, twin].map((x) => chunk(x.toString('utf8'))).join('');
    const expectedB = [
      small.toString('utf8'),
      'data: own\n\n',
      large.toString('utf8'),
      'data: twin\n\n',
    ]
      .map(chunk)
      .join('');
    const body = (received: () => string): string =>
      received().slice(received().indexOf('\r\n\r\n') + 4);
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (
            body(a.received).length >= expectedA.length &&
            body(b.received).length >= expectedB.length
          ) {
            resolve();
          } else setTimeout(check, 5);
        };
        check();
      }),
      'the chunks',
    );
    assert.equal(body(a.received), expectedA);
    assert.equal(body(b.received), expectedB);
    streamA.close();
    streamB.close();
    a.client.destroy();
    b.client.destroy();
  });

  void it('a write to a socket that is already gone closes the stream, writing nothing', async () => {
    const { serverSide, client } = await pair();
    const stream = createRawSseStream(serverSide, HEAD, { heartbeatInterval: false });
    serverSide.destroy();
    assert.equal(stream.send({ data: 'late' }), false);
    assert.equal(stream.closed, true);
    assert.equal(stream.send({ data: 'later' }), false);
    client.destroy();
  });
});
