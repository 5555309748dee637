/**
 * `createParserStream()`: the parser as a web TransformStream. Every spec
 * vector also runs through it (parser.vectors.test.ts); these tests cover what
 * is particular to the stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParserStream } from '../../src/protocol/index.js';
import { readAll, readableFrom } from '../helpers/chunks.js';
import { ev, plain, runStream, utf8 } from './harness.js';

void describe('createParserStream()', () => {
  void it('turns a ReadableStream of byte chunks into events', async () => {
    const input = readableFrom([utf8('event: a\nid: 1\nda'), utf8('ta: x\n\ndata: y\n\n')]);
    const events = await readAll(input.pipeThrough(createParserStream()));
    assert.deepEqual(events.map(plain), [ev('x', { type: 'a', id: '1' }), ev('y', { id: '1' })]);
  });

  void it('accepts string chunks and byte chunks in the same stream', async () => {
    const out = await runStream(['data: a', utf8('\n\ndata: é'), '\n\n']);
    assert.deepEqual(out.events, [ev('a'), ev('é')]);
  });

  void it('[spec] an unterminated block when the input ends is discarded, not flushed', async () => {
    const out = await runStream([utf8('data: a\n\ndata: b\n')]);
    assert.deepEqual(out.events, [ev('a')]);
  });

  void it('[spec] a multi-byte character split across chunks is decoded once', async () => {
    const bytes = utf8('data: 😀\n\n');
    const out = await runStream([bytes.subarray(0, 7), bytes.subarray(7, 8), bytes.subarray(8)]);
    assert.deepEqual(out.events, [ev('😀')]);
  });

  void it('passes options.lastEventId, onRetry and onComment through', async () => {
    const out = await runStream([': hi\nretry: 42\ndata: a\n\n'], { lastEventId: 'L' });
    assert.deepEqual(out, {
      events: [ev('a', { id: 'L' })],
      retries: [42],
      comments: ['hi'],
      errors: [],
    });
  });

  void it('an empty input gives no events and closes', async () => {
    assert.deepEqual(await runStream([]), { events: [], retries: [], comments: [], errors: [] });
  });
});
