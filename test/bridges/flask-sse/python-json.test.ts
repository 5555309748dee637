/**
 * `python-json.ts` is Python's `json.loads` + Flask's `json.dumps`: fixed
 * vectors (taken from a real flask-sse stream, Flask 2.2), then Python itself
 * as the oracle on generated texts, doubles and line breaks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compareCodePoints,
  dumpsPython,
  MAX_DEPTH,
  parsePythonJson,
  pyFloatRepr,
  pySplitlines,
  pyStr,
  pyTruthy,
  PythonJsonError,
} from '../../../src/bridges/flask-sse/python-json.js';
import { findPython, pythonSkip } from '../../helpers/python.js';
import { oracle, utf8, valueText } from './oracle.js';

const roundTrip = (text: string): string => dumpsPython(parsePythonJson(text));

void describe('Python json: fixed vectors', () => {
  void it('writes what Flask writes: sorted keys, ", " and ": ", ASCII escapes, Python floats', () => {
    // Seen on the wire from flask-sse's blueprint (Flask 2.2.2, Python 3.11).
    assert.equal(
      roundTrip('{"b": 1, "a": "é😀", "c": [1.0, 2.5e-7, 1e16, 12345678901234567890, null, true]}'),
      '{"a": "\\u00e9\\ud83d\\ude00", "b": 1, "c": [1.0, 2.5e-07, 1e+16, 12345678901234567890, null, true]}',
    );
    assert.equal(
      roundTrip('{"x": NaN, "y": Infinity, "z": -0.0, "w": 1e400}'),
      '{"w": Infinity, "x": NaN, "y": Infinity, "z": -0.0}',
    );
    assert.equal(roundTrip('[]'), '[]');
    assert.equal(roundTrip('{}'), '{}');
    assert.equal(roundTrip(' \t\r\n[1 , {"a":[]} ]\n'), '[1, {"a": []}]');
    assert.equal(roundTrip('-0'), '0');
    assert.equal(roundTrip('-Infinity'), '-Infinity');
    assert.equal(
      roundTrip('"\\u0000\\u007f/\\"\\\\\\b\\f\\n\\r\\t"'),
      '"\\u0000\\u007f/\\"\\\\\\b\\f\\n\\r\\t"',
    );
    assert.equal(roundTrip('"\\ud800"'), '"\\ud800"', 'a lone surrogate escape stays one');
  });

  void it('keeps the last of duplicate keys, sorted by code point', () => {
    assert.equal(roundTrip('{"a": 1, "b": 2, "a": 3}'), '{"a": 3, "b": 2}');
    // U+FFFD sorts before U+1F600 in Python (code points), after it in UTF-16.
    assert.equal(roundTrip('{"😀": 1, "\\ufffd": 2}'), '{"\\ufffd": 2, "\\ud83d\\ude00": 1}');
    assert.ok(compareCodePoints('\uffff', '😀') < 0);
    assert.ok(compareCodePoints('a', 'ab') < 0);
    assert.equal(compareCodePoints('x😀', 'x😀'), 0);
  });

  void it("formats floats as Python's repr", () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [-0, '-0.0'],
      [0, '0.0'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [123456789012345680, '1.2345678901234568e+17'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [-2.5, '-2.5'],
      [1234.5678, '1234.5678'],
      [NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
    ];
    for (const [x, text] of cases) assert.equal(pyFloatRepr(x), text, String(x));
  });

  void it('refuses what Python refuses', () => {
    for (const text of [
      '',
      ' ',
      '{',
      '[1,]',
      '{"a":1,}',
      '{a:1}',
      "'x'",
      '01',
      '1.',
      '.5',
      '1e',
      '+1',
      'nan',
      'infinity',
      '"\\x"',
      '"\\u12"',
      '"a\nb"',
      '"\t"',
      '[1] [2]',
      'NaNa',
      '"unterminated',
      '1'.repeat(4301),
    ]) {
      assert.throws(
        () => parsePythonJson(text),
        PythonJsonError,
        JSON.stringify(text.slice(0, 20)),
      );
    }
    assert.equal(roundTrip('1'.repeat(4300)), '1'.repeat(4300), 'Python reads 4300 digits');
    const deep = '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH);
    assert.equal(roundTrip(deep), deep);
    assert.throws(() => parsePythonJson('[' + deep + ']'), /Nesting too deep/);
  });

  void it('splits lines as str.splitlines() does', () => {
    assert.deepEqual(pySplitlines(''), []);
    assert.deepEqual(pySplitlines('\n'), ['']);
    assert.deepEqual(pySplitlines('a\n'), ['a']);
    assert.deepEqual(pySplitlines('a\n\nb'), ['a', '', 'b']);
    assert.deepEqual(pySplitlines('a\r\nb\rc'), ['a', 'b', 'c']);
    assert.deepEqual(pySplitlines('1\u000b2\u000c3\u001c4\u001d5\u001e6\u00857\u20288\u20299'), [
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    assert.deepEqual(pySplitlines('\r\r\n'), ['', '']);
  });

  void it('renders fields with str() and judges them with bool()', () => {
    assert.equal(pyStr(parsePythonJson('7') as never), '7');
    assert.equal(pyStr(parsePythonJson('12345678901234567890') as never), '12345678901234567890');
    assert.equal(pyStr(1.5), '1.5');
    assert.equal(pyStr(NaN), 'nan');
    for (const falsy of ['0', '-0', '0.0', '-0.0', '""', 'null', 'false', '[]', '{}']) {
      assert.equal(pyTruthy(parsePythonJson(falsy)), false, falsy);
    }
    for (const truthy of ['1', 'NaN', '" "', '"0"', 'true', '[0]', '{"a": null}', '-1e-300']) {
      assert.equal(pyTruthy(parsePythonJson(truthy)), true, truthy);
    }
  });
});

const PYTHON_MODULES = ['flask'];

void describe('Python json: Python is the oracle', { skip: pythonSkip(PYTHON_MODULES) }, () => {
  void it('flask.json.dumps(json.loads(text)) on generated texts, valid and not', () => {
    const python = findPython(PYTHON_MODULES) ?? 'python3';
    const texts = fc.sample(valueText, { numRuns: 1500, seed: 20240607 });
    // Mutations: one character dropped or doubled, so invalid texts get judged alike too.
    const mutated = fc.sample(
      fc.tuple(fc.constantFrom(...texts), fc.nat(), fc.boolean()).map(([text, at, drop]) => {
        const i = at % Math.max(text.length, 1);
        return drop
          ? text.slice(0, i) + text.slice(i + 1)
          : text.slice(0, i) + text.charAt(i) + text.slice(i);
      }),
      { numRuns: 500, seed: 7 },
    );
    const inputs = [...texts, ...mutated];
    const answers = oracle(python, 'dumps', inputs.map(utf8));
    let valid = 0;
    inputs.forEach((text, i) => {
      const answer = answers[i];
      let mine: string | undefined;
      try {
        // The bytes both sides read (a mutation may split a surrogate pair).
        mine = roundTrip(new TextDecoder().decode(utf8(text)));
      } catch (error) {
        assert.ok(error instanceof PythonJsonError);
      }
      if (answer?.ok === true) {
        valid++;
        assert.equal(mine, answer.text, `input ${JSON.stringify(text)}`);
      } else
        assert.equal(mine, undefined, `Python refused ${JSON.stringify(text)} (${answer?.error})`);
    });
    assert.ok(valid > 1000, `${valid} valid texts`);
  });

  void it('repr() of random doubles', () => {
    const python = findPython(PYTHON_MODULES) ?? 'python3';
    const doubles = [
      ...fc.sample(fc.double(), { numRuns: 3000, seed: 42 }),
      ...fc
        .sample(fc.integer({ min: -400, max: 400 }), { numRuns: 500, seed: 3 })
        .map((e) => 10 ** e),
      ...fc
        .sample(fc.integer({ min: -20, max: 20 }), { numRuns: 200, seed: 5 })
        .map((e) => 1.5 * 10 ** e),
    ];
    const inputs = doubles.map((x) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, x);
      return bytes;
    });
    const answers = oracle(python, 'repr', inputs);
    doubles.forEach((x, i) => {
      assert.deepEqual(
        { x, repr: pyFloatRepr(x) },
        { x, repr: (answers[i] as { text: string }).text },
      );
    });
  });

  void it('str.splitlines() on generated strings', () => {
    const python = findPython(PYTHON_MODULES) ?? 'python3';
    const breaks = [
      '\n',
      '\r',
      '\r\n',
      '\u000b',
      '\u000c',
      '\u001c',
      '\u001d',
      '\u001e',
      '\u0085',
      '\u2028',
      '\u2029',
      'a',
      ' ',
      '\n\r',
    ];
    const strings = fc.sample(
      fc.array(fc.constantFrom(...breaks), { maxLength: 8 }).map((parts) => parts.join('')),
      {
        numRuns: 500,
        seed: 11,
      },
    );
    const answers = oracle(python, 'splitlines', strings.map(utf8));
    strings.forEach((text, i) => {
      assert.deepEqual(
        pySplitlines(text),
        JSON.parse((answers[i] as { text: string }).text),
        JSON.stringify(text),
      );
    });
  });
});
