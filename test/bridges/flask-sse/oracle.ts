/**
 * Python as the oracle of the flask-sse tests: `test/fixtures/flask-sse/render.py`
 * run once per batch (one process, every case on stdin), and generators of
 * the JSON texts Python's json module reads (floats with and without
 * exponents, big integers, `NaN`, `Infinity`, escapes, surrogates, duplicate
 * keys, odd whitespace).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

const RENDER = fileURLToPath(new URL('../../fixtures/flask-sse/render.py', import.meta.url));

/** Python's answer for one input: its output text, or the exception's name. */
export type OracleAnswer = { ok: true; text: string } | { ok: false; error: string };

/** Runs `render.py <mode>` on every input (bytes); one answer per input. */
export function oracle(
  python: string,
  mode: 'message' | 'dumps' | 'repr' | 'splitlines',
  inputs: readonly Uint8Array[],
): OracleAnswer[] {
  const input = inputs.map((bytes) => Buffer.from(bytes).toString('hex')).join('\n') + '\n';
  const result = spawnSync(python, [RENDER, mode], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`render.py ${mode} failed: ${result.stderr}`);
  const lines = result.stdout.split('\n').slice(0, -1);
  if (lines.length !== inputs.length) {
    throw new Error(`render.py ${mode}: ${lines.length} answers for ${inputs.length} inputs`);
  }
  return lines.map((line) => {
    if (line.startsWith('ERR ')) return { ok: false, error: line.slice(4) };
    const text = line.slice(3);
    return {
      ok: true,
      text: mode === 'repr' || mode === 'splitlines' ? text : Buffer.from(text, 'hex').toString(),
    };
  });
}

/** Number lexemes JSON allows, biased to the cases where Python and JS differ. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom('0', '-0', '0.0', '-0.0', '1.0', '1e16', '1E+16', '1e-5', '1e400', '-1e400'),
  fc.constantFrom('1e-400', '0.1', '2.5e-07', '123456789012345678.0', '1e22', '1e21', '5e-324'),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '100', '1.7976931348623157e308', '0.0001'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc
    .tuple(
      fc.integer({ min: -999, max: 999 }),
      fc.nat({ max: 999999 }),
      fc.integer({ min: -330, max: 330 }),
    )
    .map(([i, f, e]) => `${i}.${f}e${e}`),
);

/** Characters of string content, as JSON source (raw or escaped). */
const stringChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\\n',
      '\\r',
      '\\r\\n',
      '\\t',
      '\\"',
      '\\\\',
      '\\/',
      '\\b',
      '\\f',
      '\\u000b',
      '\\u000c',
      '\\u001c',
      '\\u0085',
      '\\u2028',
      '\\u2029',
      '\\u0000',
      '\\u007f',
      '\\u00e9',
      '\\ud83d\\ude00',
      '\\uD83D\\uDE00',
      '\\ud800',
      '\\udc00',
      'é',
      '😀',
      '\u2028',
      '\u0085',
      '\uFEFF',
      ' ',
      '  ',
      '\u000b',
    ),
  },
);

/** A JSON string literal (source text). */
export const stringText: fc.Arbitrary<string> = fc
  .array(stringChar, { maxLength: 12 })
  // A raw quote from a grapheme is escaped; raw control characters and
  // stray backslashes stay: both sides must refuse them alike.
  .map((chars) => `"${chars.join('').replace(/(?<!\\)"/g, '\\"')}"`);

const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n ', '');

/** A JSON value (source text), nested a little. */
export const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('null', 'true', 'false'),
    fc
      .tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }))
      .map(([items]) => `[${items.map(([a, v, b]) => a + v + b).join(',')}]`),
    fc
      .array(
        fc.tuple(fc.oneof(stringText, fc.constantFrom('"a"', '"b"', '"B"', '"é"')), tie('value')),
        { maxLength: 4 },
      )
      .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
})).value;

/** A flask-sse message text: `data` and some of `type`, `id`, `retry` (rarely more, or no `data`). */
export const messageText: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(valueText, { freq: 15 }), // absent 1 time in 15
    fc.record(
      {
        type: fc.oneof({ weight: 6, arbitrary: stringText }, { weight: 1, arbitrary: valueText }),
        id: fc.oneof(
          { weight: 3, arbitrary: stringText },
          { weight: 2, arbitrary: numberText },
          { weight: 1, arbitrary: valueText },
        ),
        retry: fc.oneof(numberText, stringText, fc.constantFrom('3000', '0', '"1500"', 'null')),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      { weight: 15, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('extra', 'event', 'Data'), valueText) },
    ),
  )
  .map(([data, fields, extra]) => {
    const entries: [string, string][] = [];
    if (data !== null) entries.push(['data', data]);
    entries.push(...Object.entries(fields));
    if (extra !== null) entries.push(extra);
    return `{${entries.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`;
  });

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
