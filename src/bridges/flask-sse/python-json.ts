/**
 * Python's `json.loads` and Flask's `json.dumps`, exactly enough to write
 * `data` as flask-sse's blueprint writes it.
 *
 * flask-sse's stream reads each Redis message with `json.loads` and, when
 * its `data` is not a string, writes it back with `flask.json.dumps`
 * (`Message.__str__`): Python values, re-serialized by Flask's default JSON
 * provider (Flask 2.2+: `sort_keys=True`, `ensure_ascii=True`; Flask 1.x had
 * the same defaults, `JSON_SORT_KEYS` and `JSON_AS_ASCII`), with the
 * standard library's separators `", "` and `": "` and `allow_nan=True`. So a
 * page sees `{"a": 1, "b": [1.0, 2.5e-07]}` for `{"b":[1.0,2.5e-7],"a":1}`.
 * `JSON.parse` + `JSON.stringify` cannot reproduce that: Python keeps
 * integers exact (`12345678901234567890`), keeps `1.0` a float (written
 * `1.0`), reads `NaN`/`Infinity`, and writes floats with `repr` (`1e+16`,
 * `1e-05`).
 *
 * - {@link parsePythonJson}: the grammar of Python's C scanner (`_json.c`,
 *   `strict=True`): RFC 8259 plus `NaN`, `Infinity`, `-Infinity`; raw
 *   control characters in strings refused; duplicate keys: the last value
 *   wins (at the first one's place, as a `dict`). Integers keep their
 *   digits ({@link PyInt}); floats are JS numbers (both are IEEE doubles,
 *   parsed with correct rounding). Linear time; nesting is limited
 *   ({@link MAX_DEPTH}; Python's recursion limit is about 1000) and so are
 *   integer digits (Python 3.11+: 4300, then `ValueError`).
 * - {@link dumpsPython}: `json.dumps(value, sort_keys=True)` (keys in code
 *   point order, as Python sorts `str`).
 * - {@link pyStr}: `str(value)`, as `"{value}".format(value=…)` writes the
 *   `event:`, `id:` and `retry:` fields.
 * - {@link pySplitlines}: `str.splitlines()`, which splits `data:` lines on
 *   more than CR and LF (VT, FF, FS, GS, RS, NEL, LS, PS).
 *
 * Pure: no I/O, no `node:` imports.
 *
 * @see https://github.com/singingwolfboy/flask-sse/blob/main/flask_sse.py (`Message.__str__`)
 * @see https://github.com/python/cpython/blob/3.11/Modules/_json.c
 * @see https://github.com/python/cpython/blob/3.11/Python/pystrtod.c (`format_float_short`, repr)
 *
 * Size: Python's json.dumps, str() of its values and str.splitlines(),
 * re-expressed byte for byte; each is small, and they share their tables.
 */

/** A Python `int`: its decimal digits, exactly as parsed (Python ints are unbounded). */
export class PyInt {
  /** Canonical decimal text: `-?(0|[1-9][0-9]*)`, never `-0`. */
  readonly text: string;
  constructor(text: string) {
    this.text = text === '-0' ? '0' : text;
  }
}

/**
 * A Python value from JSON: `None` (`null`), `bool`, `int` ({@link PyInt}),
 * `float` (`number`, NaN and infinities included), `str`, `list`, `dict`
 * (a `Map` in insertion order).
 */
export type PyValue =
  null | boolean | PyInt | number | string | readonly PyValue[] | ReadonlyMap<string, PyValue>;

/** Deepest nesting of arrays and objects accepted. */
export const MAX_DEPTH = 512;
/** Most digits of an integer (CPython 3.11+ `sys.get_int_max_str_digits()` default). */
export const MAX_INT_DIGITS = 4300;

/** Why a text is not Python JSON, with the offset (in UTF-16 code units). */
export class PythonJsonError extends Error {
  override readonly name = 'PythonJsonError';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWhitespace(c: number): boolean {
  // Python's json WHITESPACE: [ \t\n\r]
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Parses `text` as Python's `json.loads` does (see the file comment).
 *
 * @throws {PythonJsonError} where Python raises `JSONDecodeError` (or
 * `ValueError` / `RecursionError` for the limits).
 */
export function parsePythonJson(text: string): PyValue {
  let i = 0;
  const n = text.length;

  function fail(message: string, at = i): never {
    throw new PythonJsonError(message, at);
  }

  function skipWhitespace(): void {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
  }

  function literal(word: string): boolean {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  }

  function parseString(): string {
    // At the opening quote.
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('Unterminated string', start - 1);
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      // strict=True: "Invalid control character"
      if (c < 0x20) fail('Invalid control character');
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text.charCodeAt(i + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          let code = 0;
          for (let k = 2; k < 6; k++) {
            const h = hexValue(text.charCodeAt(i + k));
            if (h < 0) fail('Invalid \\uXXXX escape');
            code = code * 16 + h;
          }
          // A surrogate pair written as two escapes is one code point in
          // Python; in UTF-16 it is the same two code units either way.
          out += String.fromCharCode(code);
          i += 4;
          break;
        }
        default:
          fail('Invalid \\escape');
      }
      i += 2;
      start = i;
    }
  }

  function parseNumber(): PyInt | number {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const first = text.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) {
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    } else fail('Expecting value', start);
    let isFloat = false;
    if (text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) {
      isFloat = true;
      i += 2;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      let j = i + 1;
      const sign = text.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      if (isDigit(text.charCodeAt(j))) {
        isFloat = true;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        i = j;
      }
      // Else the number ends before the `e` (Python backs off); what
      // follows is then a syntax error for the caller.
    }
    const lexeme = text.slice(start, i);
    if (isFloat) return Number(lexeme);
    const digits = lexeme.startsWith('-') ? lexeme.length - 1 : lexeme.length;
    if (digits > MAX_INT_DIGITS) {
      fail(`Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion`, start);
    }
    return new PyInt(lexeme);
  }

  function parseValue(depth: number): PyValue {
    if (i >= n) fail('Expecting value');
    const c = text.charCodeAt(i);
    switch (c) {
      case QUOTE:
        return parseString();
      case 0x7b /* { */: {
        if (depth >= MAX_DEPTH) fail('Nesting too deep');
        i++;
        const dict = new Map<string, PyValue>();
        skipWhitespace();
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          return dict;
        }
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) {
            fail('Expecting property name enclosed in double quotes');
          }
          const key = parseString();
          skipWhitespace();
          if (text.charCodeAt(i) !== 0x3a) fail("Expecting ':' delimiter");
          i++;
          skipWhitespace();
          dict.set(key, parseValue(depth + 1));
          skipWhitespace();
          const next = text.charCodeAt(i);
          if (next === 0x7d) {
            i++;
            return dict;
          }
          if (next !== 0x2c) fail("Expecting ',' delimiter");
          i++;
          skipWhitespace();
        }
      }
      case 0x5b /* [ */: {
        if (depth >= MAX_DEPTH) fail('Nesting too deep');
        i++;
        const list: PyValue[] = [];
        skipWhitespace();
        if (text.charCodeAt(i) === 0x5d) {
          i++;
          return list;
        }
        for (;;) {
          list.push(parseValue(depth + 1));
          skipWhitespace();
          const next = text.charCodeAt(i);
          if (next === 0x5d) {
            i++;
            return list;
          }
          if (next !== 0x2c) fail("Expecting ',' delimiter");
          i++;
          skipWhitespace();
        }
      }
      case 0x6e /* n */:
        if (literal('null')) return null;
        break;
      case 0x74 /* t */:
        if (literal('true')) return true;
        break;
      case 0x66 /* f */:
        if (literal('false')) return false;
        break;
      case 0x4e /* N */:
        if (literal('NaN')) return NaN;
        break;
      case 0x49 /* I */:
        if (literal('Infinity')) return Infinity;
        break;
      case 0x2d /* - */:
        if (literal('-Infinity')) return -Infinity;
        return parseNumber();
      default:
        if (isDigit(c)) return parseNumber();
    }
    return fail('Expecting value');
  }

  skipWhitespace();
  const value = parseValue(0);
  skipWhitespace();
  if (i !== n) fail('Extra data');
  return value;
}

/** Python's `repr(float)` (also `str(float)`), for a finite or non-finite double. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const negative = x < 0 || Object.is(x, -0);
  // JS's Number::toString picks the same digits as Python's repr: the
  // shortest that round-trip, the closest to x among them. Only the layout
  // differs, so take the digits and the decimal point's place from it.
  const s = String(Math.abs(x));
  let mantissa = s;
  let exponent = 0;
  const e = s.indexOf('e');
  if (e !== -1) {
    mantissa = s.slice(0, e);
    exponent = Number(s.slice(e + 1));
  }
  const dot = mantissa.indexOf('.');
  let digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // decpt: the value is 0.<digits> × 10^decpt.
  let decpt = (dot === -1 ? mantissa.length : dot) + exponent;
  const lead = /^0*/.exec(digits)?.[0].length ?? 0;
  if (lead === digits.length) {
    digits = '0';
    decpt = 1;
  } else {
    digits = digits.slice(lead).replace(/0+$/, '');
    decpt -= lead;
  }
  let out: string;
  // [pystrtod.c, format_float_short] repr: "use exponent for values >= 1e16 or < 1e-4".
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1;
    const abs = Math.abs(exp);
    out =
      digits.charAt(0) +
      (digits.length > 1 ? '.' + digits.slice(1) : '') +
      'e' +
      (exp < 0 ? '-' : '+') +
      (abs < 10 ? '0' : '') +
      String(abs);
  } else if (decpt <= 0) {
    out = '0.' + '0'.repeat(-decpt) + digits;
  } else if (decpt >= digits.length) {
    // Py_DTSF_ADD_DOT_0: an integral float keeps its ".0".
    out = digits + '0'.repeat(decpt - digits.length) + '.0';
  } else {
    out = digits.slice(0, decpt) + '.' + digits.slice(decpt);
  }
  return negative ? '-' + out : out;
}

const HEX = '0123456789abcdef';

/** `json.dumps(str)` with `ensure_ascii=True` (`_json.c`, `ascii_escape_unicode`). */
export function pyJsonString(value: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== QUOTE && c !== BACKSLASH) continue;
    out += value.slice(start, i);
    start = i + 1;
    switch (c) {
      case QUOTE:
        out += '\\"';
        break;
      case BACKSLASH:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        // Characters beyond U+FFFF are two UTF-16 code units here, and two
        // \u escapes (a surrogate pair) in Python's output too.
        out +=
          '\\u' +
          HEX.charAt(c >> 12) +
          HEX.charAt((c >> 8) & 15) +
          HEX.charAt((c >> 4) & 15) +
          HEX.charAt(c & 15);
    }
  }
  return out + value.slice(start) + '"';
}

/** Python's ordering of `str`: by code point (`<` on JS strings compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/**
 * `json.dumps(value, sort_keys=True)` with the defaults otherwise
 * (`ensure_ascii=True`, `allow_nan=True`, separators `", "` and `": "`), as
 * Flask's JSON provider writes it. Recursive: values from
 * {@link parsePythonJson} nest at most {@link MAX_DEPTH} deep.
 */
export function dumpsPython(value: PyValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number') {
    // float.__repr__, except the non-finite values json writes as JavaScript does.
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return pyFloatRepr(value);
  }
  if (value instanceof PyInt) return value.text;
  if (value instanceof Map) {
    const dict = value as ReadonlyMap<string, PyValue>;
    if (dict.size === 0) return '{}';
    const keys = [...dict.keys()].sort(compareCodePoints);
    return (
      '{' +
      keys.map((key) => pyJsonString(key) + ': ' + dumpsPython(dict.get(key) ?? null)).join(', ') +
      '}'
    );
  }
  const list = value as readonly PyValue[];
  return '[' + list.map(dumpsPython).join(', ') + ']';
}

/** `str(value)` for the scalars flask-sse writes with `format` (`str`, `int`, `float`). */
export function pyStr(value: string | number | PyInt): string {
  if (typeof value === 'string') return value;
  if (value instanceof PyInt) return value.text;
  return pyFloatRepr(value);
}

/** Python truthiness (`if self.type:` in flask-sse). */
export function pyTruthy(value: PyValue): boolean {
  if (value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'string') return value !== '';
  // NaN is truthy in Python (bool(float('nan')) is True); only zeros are not.
  if (typeof value === 'number') return value !== 0;
  if (value instanceof PyInt) return value.text !== '0';
  if (value instanceof Map) return value.size > 0;
  return (value as readonly PyValue[]).length > 0;
}

/**
 * `str.splitlines()`: splits on LF, CR, CRLF, VT, FF, FS, GS, RS, NEL, LS
 * and PS; a line break at the very end does not start another line, and
 * `""` has no lines at all.
 */
export function pySplitlines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      c === 0x0a ||
      c === 0x0d ||
      c === 0x0b ||
      c === 0x0c ||
      (c >= 0x1c && c <= 0x1e) ||
      c === 0x85 ||
      c === 0x2028 ||
      c === 0x2029
    ) {
      lines.push(text.slice(start, i));
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
      start = i + 1;
    }
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}
