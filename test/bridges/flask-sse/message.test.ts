/**
 * A flask-sse message → the event its blueprint sends: fixed vectors (the
 * shapes `sse.publish()` writes, and the malformed ones), then a Python
 * `Message.__str__` speaking flask-sse's wire format (test/fixtures/flask-sse/
 * flask_sse_wire.py, this project's re-expression of it on Python's own json,
 * `str()` and `str.splitlines()`) as the oracle on generated messages: where
 * that Python writes a frame, ssehub's is the same text, or ssehub skips the
 * message for a documented reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeFlaskSseMessage,
  type DecodedMessage,
  type FlaskSseEvent,
} from '../../../src/bridges/flask-sse/message.js';
import { findPython, pythonSkip } from '../../helpers/python.js';
import { messageText, oracle, utf8 } from './oracle.js';

function event(text: string | Uint8Array): FlaskSseEvent | undefined {
  const decoded = decodeFlaskSseMessage(typeof text === 'string' ? utf8(text) : text);
  assert.ok(decoded.ok, `malformed: ${JSON.stringify(decoded)}`);
  return decoded.event;
}

function reason(text: string | Uint8Array): string {
  const decoded = decodeFlaskSseMessage(typeof text === 'string' ? utf8(text) : text);
  assert.ok(!decoded.ok, `expected malformed, got ${JSON.stringify(decoded)}`);
  return decoded.reason;
}

const E = (data: string, type?: string, id?: string, retry?: number): FlaskSseEvent => ({
  data,
  type,
  id,
  retry,
});

void describe('flask-sse messages: fixed vectors', () => {
  void it('writes the exact frame of Message.__str__', () => {
    const decoded = decodeFlaskSseMessage(
      utf8('{"data": {"b": 1, "a": [1.0]}, "type": "dataUpdate", "id": 7, "retry": 3000}'),
    );
    assert.deepEqual(decoded, {
      ok: true,
      frame: 'event:dataUpdate\ndata:{"a": [1.0], "b": 1}\nid:7\nretry:3000\n\n',
      event: E('{"a": [1.0], "b": 1}', 'dataUpdate', '7', 3000),
    } satisfies DecodedMessage);
  });

  void it('data: a string as is, anything else as Flask dumps it', () => {
    assert.deepEqual(event('{"data": "hello"}'), E('hello'));
    assert.deepEqual(event('{"data": "{\\"a\\": 1}"}'), E('{"a": 1}'));
    assert.deepEqual(event('{"data": [3, 2.0, "x"]}'), E('[3, 2.0, "x"]'));
    assert.deepEqual(event('{"data": 5}'), E('5'));
    assert.deepEqual(event('{"data": 1e16}'), E('1e+16'));
    assert.deepEqual(event('{"data": null}'), E('null'));
    assert.deepEqual(event('{"data": false}'), E('false'));
    assert.deepEqual(event('{"data": {"é": NaN}}'), E('{"\\u00e9": NaN}'));
    assert.deepEqual(
      event('{"data": 123456789012345678901234567890}'),
      E('123456789012345678901234567890'),
    );
  });

  void it('splits data with str.splitlines(), drops one leading space per line (as a browser reads data:)', () => {
    assert.deepEqual(event('{"data": "a\\r\\nb\\u2028c\\u000bd\\n"}'), E('a\nb\nc\nd'));
    assert.deepEqual(event('{"data": " one\\n  two"}'), E('one\n two'));
    assert.deepEqual(event('{"data": "\\n"}'), E(''));
    assert.deepEqual(event('{"data": "a\\n\\nb"}'), E('a\n\nb'));
  });

  void it('data "" has no data line: nothing is dispatched, whatever the other fields', () => {
    for (const text of [
      '{"data": ""}',
      '{"data": "", "id": "x"}',
      '{"data": "", "type": "t", "retry": 5}',
    ]) {
      const decoded = decodeFlaskSseMessage(utf8(text));
      assert.ok(decoded.ok);
      assert.equal(decoded.event, undefined, text);
    }
  });

  void it('type, id, retry: written when truthy, with str(); read as a browser reads them', () => {
    assert.deepEqual(event('{"data": "x", "type": "", "id": "", "retry": 0}'), E('x'));
    assert.deepEqual(event('{"data": "x", "type": null, "id": 0, "retry": null}'), E('x'));
    assert.deepEqual(event('{"data": "x", "id": 0.0}'), E('x'));
    assert.deepEqual(event('{"data": "x", "id": 1.5}'), E('x', undefined, '1.5'));
    assert.deepEqual(
      event('{"data": "x", "id": 12345678901234567890}'),
      E('x', undefined, '12345678901234567890'),
    );
    assert.deepEqual(event('{"data": "x", "id": NaN}'), E('x', undefined, 'nan'));
    assert.deepEqual(event('{"data": "x", "type": " spaced", "id": " 5"}'), E('x', 'spaced', '5'));
    assert.deepEqual(event('{"data": "x", "type": "message"}'), E('x'));
    assert.deepEqual(event('{"data": "x", "retry": "1500"}'), E('x', undefined, undefined, 1500));
    // Browsers ignore a retry that is not all digits: the event still arrives.
    assert.deepEqual(event('{"data": "x", "retry": "soon"}'), E('x'));
    assert.deepEqual(event('{"data": "x", "retry": 2.5}'), E('x'));
    assert.deepEqual(event('{"data": "x", "retry": -5}'), E('x'));
    assert.deepEqual(event('{"data": "x", "id": "é😀"}'), E('x', undefined, 'é😀'));
  });

  void it('accepts a UTF-8 BOM (Python reads bytes as utf-8-sig)', () => {
    assert.deepEqual(event(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('{"data": "x"}'))), E('x'));
  });

  void it('skips malformed messages with a reason', () => {
    assert.equal(reason(Uint8Array.of(0x7b, 0xff, 0x7d)), 'encoding');
    assert.equal(reason('{"data": "\\ud800"}'), 'encoding');
    assert.equal(reason('{"data": "x", "id": "\\udc00"}'), 'encoding');
    assert.equal(reason('not json'), 'json');
    assert.equal(reason(''), 'json');
    assert.equal(reason('{"data": "x",}'), 'json');
    assert.equal(reason('{"data": nan}'), 'json');
    assert.equal(reason('"just a string"'), 'shape');
    assert.equal(reason('[{"data": 1}]'), 'shape');
    assert.equal(reason('{"type": "t"}'), 'shape');
    assert.equal(reason('{"data": 1, "event": "t"}'), 'shape');
    assert.equal(reason('{"data": 1, "type": 5}'), 'field');
    assert.equal(reason('{"data": 1, "type": ["a"]}'), 'field');
    assert.equal(reason('{"data": 1, "id": true}'), 'field');
    assert.equal(reason('{"data": 1, "id": {"a": 1}}'), 'field');
    assert.equal(reason('{"data": 1, "retry": [1]}'), 'field');
    assert.equal(reason('{"data": 1, "type": "a\\nb"}'), 'field');
    assert.equal(reason('{"data": 1, "id": "a\\rdata: injected"}'), 'field');
    assert.equal(reason('{"data": 1, "id": "a\\u0000"}'), 'field');
    assert.equal(reason('{"data": 1, "retry": "1\\n"}'), 'field');
    // Falsy wrong types are not written by flask-sse: harmless.
    assert.deepEqual(event('{"data": 1, "type": [], "id": false, "retry": {}}'), E('1'));
  });
});

void describe(
  "flask-sse messages: a Python Message.__str__ speaking flask-sse's wire format is the oracle",
  { skip: pythonSkip(['flask']) },
  () => {
    void it("the frame is Message.__str__'s, or the message is skipped for a documented reason", () => {
      const python = findPython(['flask']) ?? 'python3';
      const texts = [
        ...fc.sample(messageText, { numRuns: 2500, seed: 1 }),
        '{"data": "", "id": "x"}',
        '{"data": " a\\u2029b"}',
        '{"data": {"z": 1, "a": {"c": [1.0, -0.0, 1e-5]}}, "type": "dataUpdate"}',
      ];
      const answers = oracle(python, 'message', texts.map(utf8));
      const stricter = new Map<string, number>();
      let same = 0;
      texts.forEach((text, i) => {
        const answer = answers[i];
        const decoded = decodeFlaskSseMessage(utf8(text));
        if (answer?.ok === true) {
          if (decoded.ok) {
            same++;
            assert.equal(decoded.frame, answer.text, `message ${text}`);
          } else {
            // Python writes these (as flask-sse does), but they inject fields, are not UTF-8, or are not the documented types.
            assert.ok(
              ['field', 'encoding'].includes(decoded.reason),
              `skipped ${text}: ${decoded.detail}`,
            );
            stricter.set(decoded.reason, (stricter.get(decoded.reason) ?? 0) + 1);
          }
        } else {
          assert.ok(!decoded.ok, `Python fails (${answer?.error}) on ${text}, ssehub does not`);
        }
      });
      assert.ok(same > 300, `${same} frames compared`);
    });
  },
);
