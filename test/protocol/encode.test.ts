/**
 * Encoder unit tests. The encoder's contract (DESIGN.md convention 6): what it
 * writes parses back to exactly what was given, and no value can smuggle in a
 * field, a blank line or a comment end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeComment,
  encodeEvent,
  encodeRetry,
  SseError,
  type EventInit,
} from '../../src/protocol/index.js';
import { ev, runParser } from './harness.js';

function assertInvalidField(fn: () => unknown, field: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SseError, `expected an SseError, got ${String(error)}`);
    assert.equal(error.code, 'SSE_ERR_INVALID_FIELD');
    assert.equal(error.field, field);
    assert.match(error.message, new RegExp(field));
    return true;
  });
}

void describe('encodeEvent: retry', () => {
  const bad: [string, unknown][] = [
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a numeric string', '5'],
    ['above MAX_SAFE_INTEGER', 2 ** 53],
  ];
  for (const [label, retry] of bad) {
    void it(`throws SSE_ERR_INVALID_FIELD naming "retry" for ${label}`, () => {
      assertInvalidField(() => encodeEvent({ data: 'x', retry } as unknown as EventInit), 'retry');
      assertInvalidField(() => encodeRetry(retry as number), 'retry');
    });
  }

  void it('writes 0 and positive integers as ASCII digits the parser accepts', () => {
    for (const retry of [0, 1, 3000, 2 ** 31]) {
      const out = runParser([encodeEvent({ retry })]);
      assert.deepEqual(out.retries, [retry]);
      assert.deepEqual(out.events, []);
      assert.deepEqual(runParser([encodeRetry(retry)]).retries, [retry]);
    }
  });
});

void describe('encodeEvent: id and event', () => {
  for (const field of ['id', 'event'] as const) {
    for (const [label, bad] of [
      ['LF', 'a\nb'],
      ['CR', 'a\rb'],
      ['CRLF', 'a\r\nb'],
      ['NUL', 'a\0b'],
      ['a trailing LF', 'a\n'],
      ['only NUL', '\0'],
    ]) {
      void it(`refuses ${label} in "${field}" with SSE_ERR_INVALID_FIELD naming the field`, () => {
        assertInvalidField(() => encodeEvent({ data: 'x', [field]: bad }), field);
      });
    }
    void it(`refuses a non-string "${field}"`, () => {
      const init: Record<string, unknown> = { data: 'x', [field]: 5 };
      assertInvalidField(() => encodeEvent(init), field);
    });
  }

  void it('an empty id is written and resets the last event ID', () => {
    const out = runParser([
      encodeEvent({ id: '1', data: 'a' }),
      encodeEvent({ id: '', data: 'b' }),
    ]);
    assert.deepEqual(out.events, [ev('a', { id: '1' }), ev('b')]);
    assert.equal(out.lastEventId, '');
  });
});

void describe('encodeEvent: data', () => {
  void it('an empty data string yields exactly one data line (and one event with empty data)', () => {
    const frame = encodeEvent({ data: '' });
    assert.equal(frame.split('\n').filter((line) => line.startsWith('data')).length, 1);
    assert.deepEqual(runParser([frame]).events, [ev('')]);
  });

  void it('splits data on CRLF, CR and LF: one data line each, received joined by LF', () => {
    const frame = encodeEvent({ data: 'a\r\nb\rc\nd' });
    assert.equal(frame.split('\n').filter((line) => line.startsWith('data')).length, 4);
    assert.deepEqual(runParser([frame]).events, [ev('a\nb\nc\nd')]);
  });

  void it('data cannot inject fields or end the event early', () => {
    const frame = encodeEvent({ data: 'x\n\nid: 666\nevent: evil\nretry: 1\n\ndata: y' });
    const out = runParser([frame]);
    assert.deepEqual(out.events, [ev('x\n\nid: 666\nevent: evil\nretry: 1\n\ndata: y')]);
    assert.deepEqual(out.retries, []);
    assert.equal(out.lastEventId, '');
  });

  void it('data starting with a space or a colon keeps it', () => {
    assert.deepEqual(runParser([encodeEvent({ data: ' a\n:b\n  c' })]).events, [ev(' a\n:b\n  c')]);
  });

  void it('each frame ends with a blank line, so it dispatches on its own', () => {
    for (const init of [{ data: 'x' }, { data: '' }, { id: '1' }, { comment: 'c' }]) {
      assert.ok(encodeEvent(init).endsWith('\n\n'));
    }
  });

  void it('a frame without data dispatches nothing but sets id and retry', () => {
    const out = runParser([encodeEvent({ id: '9', event: 'e', retry: 10 })]);
    assert.deepEqual(out.events, []);
    assert.deepEqual(out.retries, [10]);
    assert.equal(out.lastEventId, '9');
  });
});

void describe('comments', () => {
  const evil = 'x\ndata: evil\n\nid: 1\rretry: 5\r\nevent: e\n';

  void it('a comment split on newlines cannot inject fields (encodeComment)', () => {
    const out = runParser([encodeComment(evil)]);
    assert.deepEqual(out.events, []);
    assert.deepEqual(out.retries, []);
    assert.equal(out.lastEventId, '');
    assert.deepEqual(out.comments, ['x', 'data: evil', '', 'id: 1', 'retry: 5', 'event: e', '']);
  });

  void it('a comment in encodeEvent cannot inject fields either', () => {
    const out = runParser([encodeEvent({ comment: evil, data: 'ok' })]);
    assert.deepEqual(out.events, [ev('ok')]);
    assert.deepEqual(out.retries, []);
    assert.equal(out.lastEventId, '');
  });

  void it('encodeComment() with no text is a bare ":" line, then a blank line', () => {
    assert.equal(encodeComment(), ':\n\n');
    assert.deepEqual(runParser([encodeComment()]).comments, ['']);
  });

  void it('encodeComment(text) round-trips the text (one leading space is added and removed)', () => {
    assert.deepEqual(runParser([encodeComment(' keep-alive')]).comments, [' keep-alive']);
  });

  void it('refuses a non-string comment', () => {
    assertInvalidField(() => encodeComment(5 as unknown as string), 'comment');
    assertInvalidField(() => encodeEvent({ comment: 5 } as unknown as EventInit), 'comment');
  });
});
