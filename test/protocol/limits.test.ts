/**
 * `maxEventSize`: the parser's bound on memory. The spec sets no limit; a
 * receiver that buffers without one can be made to grow forever by a stream
 * that never sends a line end. Contract under test (ParserOptions):
 *
 * - when the current line, or the event being assembled, exceeds
 *   `maxEventSize` UTF-16 code units, `onError` gets one SseError with code
 *   `SSE_ERR_EVENT_TOO_LARGE`;
 * - that event is discarded: the parser skips input up to the next blank line
 *   (fields in the skipped part have no effect), then parses normally;
 * - the skipped text is not retained;
 * - without `onError`, `feed()` throws the SseError; `createParserStream()`
 *   errors the stream unless given `onError`.
 *
 * Sizes here stay well clear of the exact boundary, whose accounting
 * (prefix, LFs) is the implementation's choice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createParser,
  createParserStream,
  isSseError,
  SseError,
  type ParsedEvent,
} from '../../src/protocol/index.js';
import { readAll, readableFrom } from '../helpers/chunks.js';
import { ev, feedingModes, plain, runParser, runStream, show, utf8 } from './harness.js';

const LIMIT = 100;
const X200 = 'x'.repeat(200);

function assertTooLarge(error: unknown): void {
  assert.ok(error instanceof SseError, `expected an SseError, got ${String(error)}`);
  assert.equal(error.code, 'SSE_ERR_EVENT_TOO_LARGE');
  assert.ok(isSseError(error, 'SSE_ERR_EVENT_TOO_LARGE'));
}

interface LimitVector {
  name: string;
  input: string;
  events: ParsedEvent[];
  errors: number;
  retries?: number[];
  lastEventId?: string;
}

const limitVectors: LimitVector[] = [
  {
    name: 'one line longer than maxEventSize: one error, event discarded, the next event parses',
    input: `data: ${X200}\n\ndata: ok\n\n`,
    events: [ev('ok')],
    errors: 1,
  },
  {
    name: 'same with CRLF and CR line ends',
    input: `data: ${X200}\r\n\r\ndata: a\r\rdata: b\r\n\r\n`,
    events: [ev('a'), ev('b')],
    errors: 1,
  },
  {
    name: 'many short data lines adding up past maxEventSize: one error, event discarded',
    input: `${'data: 0123456789\n'.repeat(20)}\ndata: ok\n\n`,
    events: [ev('ok')],
    errors: 1,
  },
  {
    name: 'the rest of the oversized block is skipped: its id, retry, event and data have no effect',
    input: `id: 1\ndata: a\n\ndata: ${X200}\nid: 9\nretry: 50\nevent: e\n: c\ndata: tail\n\ndata: ok\n\n`,
    events: [ev('a', { id: '1' }), ev('ok', { id: '1' })],
    errors: 1,
    lastEventId: '1',
  },
  {
    name: 'an overlong comment line counts too (it is a line)',
    input: `:${X200}\n\ndata: ok\n\n`,
    events: [ev('ok')],
    errors: 1,
  },
  {
    name: 'an overlong unknown-field line counts too',
    input: `foo: ${X200}\n\ndata: ok\n\n`,
    events: [ev('ok')],
    errors: 1,
  },
  {
    name: 'two oversized events: two errors; the events around them parse',
    input: `data: 1\n\ndata: ${X200}\n\ndata: 2\n\ndata: ${X200}\n\ndata: 3\n\n`,
    events: [ev('1'), ev('2'), ev('3')],
    errors: 2,
  },
  {
    name: 'events under the limit are untouched (one 40-char line; two 20-char lines)',
    input: `data: ${'y'.repeat(40)}\n\ndata: ${'y'.repeat(20)}\ndata: ${'y'.repeat(20)}\n\n`,
    events: [ev('y'.repeat(40)), ev(`${'y'.repeat(20)}\n${'y'.repeat(20)}`)],
    errors: 0,
  },
  {
    name: 'the size counts UTF-16 code units, not bytes: 40 "😀" (80 units, 160 bytes) fit',
    input: `data: ${'😀'.repeat(40)}\n\n`,
    events: [ev('😀'.repeat(40))],
    errors: 0,
  },
];

void describe('limits: maxEventSize, in every feeding mode', () => {
  for (const vector of limitVectors) {
    void it(vector.name, async () => {
      const options = { maxEventSize: LIMIT };
      for (const { mode, chunks } of feedingModes(vector.input)) {
        const out = runParser(chunks, options);
        const context = `${mode}: ${show(chunks)}`;
        assert.deepEqual(out.events, vector.events, context);
        assert.equal(out.errors.length, vector.errors, `errors, ${context}`);
        for (const error of out.errors) assertTooLarge(error);
        assert.deepEqual(out.retries, vector.retries ?? [], context);
        assert.equal(out.lastEventId, vector.lastEventId ?? '', context);
      }
      const streamed = await runStream([utf8(vector.input)], options);
      assert.deepEqual(streamed.events, vector.events, 'createParserStream');
      assert.equal(streamed.errors.length, vector.errors, 'createParserStream errors');
    });
  }
});

void describe('limits: endless input', () => {
  // Ask V8 for a `gc()` so heap figures are not noise from uncollected garbage.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  void it('an endless line (50 MB of "a" bytes in 64 KiB chunks) reports one error and is not retained', () => {
    const errors: SseError[] = [];
    const events: ParsedEvent[] = [];
    const parser = createParser(
      { onEvent: (e) => events.push(plain(e)), onError: (e) => errors.push(e) },
      { maxEventSize: 1024 * 1024 },
    );
    // One byte buffer, fed 800 times: every decoded chunk is a new string, so
    // a parser that kept them would hold ~50 MB at the second measurement.
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    parser.feed('data: ');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 800; i++) parser.feed(chunk);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(errors.length, 1, 'exactly one error for the whole endless line');
    assertTooLarge(errors[0]);
    assert.ok(grown < 16 * 1024 * 1024, `heap grew by ${grown} bytes while skipping`);
    parser.feed('\n\ndata: ok\n\n');
    assert.deepEqual(events, [ev('ok')]);
    assert.equal(errors.length, 1);
  });

  void it('an endless line fed as 50 MB of string chunks reports one error, then parsing resumes', () => {
    const errors: SseError[] = [];
    const events: ParsedEvent[] = [];
    const parser = createParser(
      { onEvent: (e) => events.push(plain(e)), onError: (e) => errors.push(e) },
      { maxEventSize: 1024 * 1024 },
    );
    const chunk = 'a'.repeat(64 * 1024);
    for (let i = 0; i < 800; i++) parser.feed(chunk);
    assert.equal(errors.length, 1);
    parser.feed('\n\ndata: ok\n\n');
    assert.deepEqual(events, [ev('ok')]);
    assert.equal(errors.length, 1);
  });

  void it('an endless run of data lines (no blank line) reports one error', () => {
    const errors: SseError[] = [];
    const events: ParsedEvent[] = [];
    const parser = createParser(
      { onEvent: (e) => events.push(plain(e)), onError: (e) => errors.push(e) },
      { maxEventSize: 64 * 1024 },
    );
    const chunk = `data: ${'b'.repeat(1000)}\n`.repeat(16);
    for (let i = 0; i < 200; i++) parser.feed(chunk);
    assert.equal(errors.length, 1);
    assertTooLarge(errors[0]);
    parser.feed('\ndata: ok\n\n');
    assert.deepEqual(events, [ev('ok')]);
  });

  void it('the default maxEventSize is 8 MiB: a 9 MiB line is refused, a 3 MiB event is not', () => {
    const errors: SseError[] = [];
    const events: ParsedEvent[] = [];
    const parser = createParser({
      onEvent: (e) => events.push(plain(e)),
      onError: (e) => errors.push(e),
    });
    const mib = 'q'.repeat(1024 * 1024);
    parser.feed('data: ');
    for (let i = 0; i < 9; i++) parser.feed(mib);
    parser.feed('\n\n');
    assert.equal(errors.length, 1);
    assertTooLarge(errors[0]);
    parser.feed(`data: ${mib.repeat(3)}\n\n`);
    assert.equal(errors.length, 1);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.length, 3 * 1024 * 1024);
  });
});

void describe('limits: without onError', () => {
  void it('feed() throws the SseError (one chunk)', () => {
    const parser = createParser({ onEvent: () => undefined }, { maxEventSize: LIMIT });
    assert.throws(
      () => {
        parser.feed(`data: ${X200}\n\n`);
      },
      (error: unknown) => {
        assertTooLarge(error);
        return true;
      },
    );
  });

  void it('feed() throws the SseError (an endless line in many chunks)', () => {
    const parser = createParser({ onEvent: () => undefined }, { maxEventSize: LIMIT });
    assert.throws(
      () => {
        for (let i = 0; i < 100; i++) parser.feed('xxxxxxxxxx');
      },
      (error: unknown) => {
        assertTooLarge(error);
        return true;
      },
    );
  });

  void it('createParserStream() errors the stream with the SseError by default', async () => {
    const stream = readableFrom([
      utf8('data: a\n\n'),
      utf8(`data: ${X200}\n\n`),
      utf8('data: b\n\n'),
    ]);
    await assert.rejects(
      readAll(stream.pipeThrough(createParserStream({ maxEventSize: LIMIT }))),
      (error: unknown) => {
        assertTooLarge(error);
        return true;
      },
    );
  });

  void it('createParserStream({ onError }) reports and keeps going', async () => {
    const errors: SseError[] = [];
    const stream = readableFrom([
      utf8('data: a\n\n'),
      utf8(`data: ${X200}\n\n`),
      utf8('data: b\n\n'),
    ]);
    const events = await readAll(
      stream.pipeThrough(
        createParserStream({ maxEventSize: LIMIT, onError: (e: SseError) => errors.push(e) }),
      ),
    );
    assert.deepEqual(events.map(plain), [ev('a'), ev('b')]);
    assert.equal(errors.length, 1);
    assertTooLarge(errors[0]);
  });
});
