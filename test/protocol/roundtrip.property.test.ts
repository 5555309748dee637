/**
 * Property tests: whatever the encoder accepts, the parser gives back.
 *
 *   parse(encodeEvent(e)) = one event with
 *     data        = e.data with CRLF / CR normalised to LF   ([spec] data lines joined by LF)
 *     type        = e.event || "message"                     ([spec] empty type -> "message")
 *     lastEventId = e.id ?? the previous one                 ([spec] the buffer is not reset)
 *   plus e.retry reported once and e.comment's lines as comments.
 *
 * Text is full Unicode with CR, LF, CRLF, NUL, BOM, space, colon and empty
 * pieces mixed in often. Lone surrogates appear only on the string path: they
 * have no UTF-8 encoding, so the byte path uses well-formed strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createParser,
  encodeComment,
  encodeEvent,
  SseError,
  type EventInit,
  type ParsedEvent,
} from '../../src/protocol/index.js';
import { codePoints } from '../helpers/chunks.js';
import { ev, plain, runParser, utf8, type Chunk } from './harness.js';

const LINE_BREAK = /\r\n|\r|\n/;
const normalise = (text: string): string => text.replace(/\r\n|\r/g, '\n');

/** Pieces that matter to the parser, mixed into text with high probability. */
const special = fc.constantFrom('\r', '\n', '\r\n', '\0', '', ' ', ':', '\uFEFF', '\n\n', '\r\r');
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

function text(withLoneSurrogates: boolean): fc.Arbitrary<string> {
  const pieces: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
    { weight: 3, arbitrary: special },
  ];
  if (withLoneSurrogates) pieces.push({ weight: 1, arbitrary: loneSurrogate });
  return fc.array(fc.oneof(...pieces), { maxLength: 8 }).map((parts) => parts.join(''));
}

/** Values for `id` and `event`: anything but CR, LF and NUL. */
function singleLine(withLoneSurrogates: boolean): fc.Arbitrary<string> {
  return text(withLoneSurrogates).map((s) => s.replace(/[\r\n\0]/g, ''));
}

function eventInit(withLoneSurrogates: boolean, dataRequired: boolean): fc.Arbitrary<EventInit> {
  const t = text(withLoneSurrogates);
  const line = singleLine(withLoneSurrogates);
  return fc.record(
    {
      data: t,
      event: line,
      id: line,
      retry: fc.oneof(fc.nat(), fc.constantFrom(0, 1000, Number.MAX_SAFE_INTEGER)),
      comment: t,
    },
    { requiredKeys: dataRequired ? ['data'] : [] },
  );
}

/** Cuts at generated points; strings only between code points. */
function cut(input: string | Uint8Array, points: number[]): Chunk[] {
  const units: (string | number)[] = typeof input === 'string' ? codePoints(input) : [...input];
  const at = [...new Set(points.map((p) => p % (units.length + 1)))].sort((a, b) => a - b);
  const chunks: Chunk[] = [];
  let start = 0;
  for (const end of [...at, units.length]) {
    const slice = units.slice(start, end);
    chunks.push(typeof input === 'string' ? slice.join('') : Uint8Array.from(slice as number[]));
    start = end;
  }
  return chunks;
}

interface Expected {
  events: ParsedEvent[];
  retries: number[];
  comments: string[];
  lastEventId: string;
}

/** What the spec says a receiver sees for these frames, in order. */
function expectedFor(
  inits: readonly EventInit[],
  comments: readonly (string | undefined)[] = [],
): Expected {
  const out: Expected = { events: [], retries: [], comments: [], lastEventId: '' };
  inits.forEach((init, i) => {
    const extra = comments[i];
    if (extra !== undefined) out.comments.push(...extra.split(LINE_BREAK));
    if (init.comment !== undefined) out.comments.push(...init.comment.split(LINE_BREAK));
    if (init.id !== undefined) out.lastEventId = init.id;
    if (init.retry !== undefined) out.retries.push(init.retry);
    if (init.data !== undefined) {
      out.events.push(
        ev(normalise(init.data), { type: init.event || 'message', id: out.lastEventId }),
      );
    }
  });
  return out;
}

function check(chunks: readonly Chunk[], want: Expected): void {
  const got = runParser(chunks);
  assert.deepEqual(
    { events: got.events, retries: got.retries, comments: got.comments, errors: got.errors },
    { events: want.events, retries: want.retries, comments: want.comments, errors: [] },
  );
  assert.equal(got.lastEventId, want.lastEventId);
  assert.equal(got.resetReported, false);
}

void describe('round trip: parse(encodeEvent(e))', () => {
  void it('string path, full Unicode incl. lone surrogates, cut at random code points (10,000 events)', () => {
    fc.assert(
      fc.property(eventInit(true, true), fc.array(fc.nat(), { maxLength: 6 }), (init, points) => {
        const frame = encodeEvent(init);
        check(cut(frame, points), expectedFor([init]));
      }),
      { numRuns: 10_000 },
    );
  });

  void it('byte path, well-formed Unicode as UTF-8, cut at random bytes (10,000 events)', () => {
    fc.assert(
      fc.property(eventInit(false, true), fc.array(fc.nat(), { maxLength: 6 }), (init, points) => {
        const frame = utf8(encodeEvent(init));
        check(cut(frame, points), expectedFor([init]));
      }),
      { numRuns: 10_000 },
    );
  });

  void it('sequences of frames and comments, concatenated, optional BOM, cut at random bytes (> 10,000 events)', () => {
    let events = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(eventInit(false, false), fc.option(text(false), { nil: undefined })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        (items, bom, points) => {
          const inits = items.map(([init]) => init);
          const comments = items.map(([, comment]) => comment);
          const stream =
            (bom ? '\uFEFF' : '') +
            items
              .map(([init, comment]) =>
                comment === undefined
                  ? encodeEvent(init)
                  : encodeComment(comment) + encodeEvent(init),
              )
              .join('');
          const want = expectedFor(inits, comments);
          events += want.events.length;
          check(cut(utf8(stream), points), want);
        },
      ),
      { numRuns: 3_000 },
    );
    assert.ok(events >= 10_000, `only ${events} events generated`);
  });

  void it('one parser keeps the last event ID across frames fed one by one', () => {
    fc.assert(
      fc.property(fc.array(eventInit(true, false), { minLength: 1, maxLength: 10 }), (inits) => {
        const want = expectedFor(inits);
        const events: ParsedEvent[] = [];
        const parser = createParser({ onEvent: (e) => events.push(plain(e)) });
        for (const init of inits) parser.feed(encodeEvent(init));
        assert.deepEqual(events, want.events);
        assert.equal(parser.lastEventId, want.lastEventId);
      }),
      { numRuns: 1_000 },
    );
  });
});

void describe('encoder refuses what it cannot write safely', () => {
  const unsafe = fc
    .tuple(singleLine(true), fc.constantFrom('\r', '\n', '\r\n', '\0'), singleLine(true))
    .map(([a, bad, b]) => a + bad + b);

  for (const field of ['id', 'event'] as const) {
    void it(`"${field}" with CR, LF or NUL throws SSE_ERR_INVALID_FIELD naming "${field}"`, () => {
      fc.assert(
        fc.property(eventInit(true, true), unsafe, (init, value) => {
          assert.throws(
            () => encodeEvent({ ...init, [field]: value }),
            (error: unknown) =>
              error instanceof SseError &&
              error.code === 'SSE_ERR_INVALID_FIELD' &&
              error.field === field &&
              error.message.includes(field),
          );
        }),
        { numRuns: 1_000 },
      );
    });
  }

  void it('a retry that is not a non-negative safe integer throws naming "retry"', () => {
    const badRetry = fc.oneof(
      fc.integer({ max: -1 }),
      fc.double({ noInteger: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53),
    );
    fc.assert(
      fc.property(eventInit(true, true), badRetry, (init, retry) => {
        assert.throws(
          () => encodeEvent({ ...init, retry }),
          (error: unknown) =>
            error instanceof SseError &&
            error.code === 'SSE_ERR_INVALID_FIELD' &&
            error.field === 'retry' &&
            error.message.includes('retry'),
        );
      }),
      { numRuns: 1_000 },
    );
  });
});
