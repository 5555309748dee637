/**
 * RFC 6570 URI Template syntax (level 4): parsing, the operator table and
 * the character classes shared by expansion and reverse matching.
 *
 * The parser is exact to the grammar of §2: literals are the allowed
 * characters plus pct-encoded triplets; an expression is
 * `"{" [operator] varspec *("," varspec) "}"` with the operators
 * `+ # . / ; ? &` (the reserved `= , ! @ |` are refused); a varname is
 * `varchar *(["."] varchar)` with `varchar = ALPHA / DIGIT / "_" / pct-encoded`;
 * a modifier is `:N` (1 to 9999) or `*`.
 *
 * One pass, left to right, no regular expression: O(template length).
 *
 * Limits (a template over a limit is refused, like a malformed one):
 * - {@link MAX_SELECTOR_LENGTH} UTF-16 code units;
 * - {@link MAX_TEMPLATE_VARIABLES} varspecs in all (so at most as many
 *   expressions): the reverse matcher's state count grows with them.
 *
 * A variable may appear more than once (`{/var:1,var}`, §1.2): the grammar
 * allows it and expansion handles it; the reverse matcher refuses it (see
 * `uri-template-automaton.ts`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */

/**
 * Longest template accepted, in UTF-16 code units. Longer selectors are
 * malformed (they match only their own text).
 */
export const MAX_SELECTOR_LENGTH = 2048;

/**
 * Most varspecs in one template (all expressions together). The matcher's
 * worst case grows with them (every variable can be empty, so every one
 * may be live at each position of a topic); templates in use have a few.
 */
export const MAX_TEMPLATE_VARIABLES = 32;

/** An expression operator; `''` is simple string expansion. */
export type UriTemplateOperator = '' | '+' | '#' | '.' | '/' | ';' | '?' | '&';

/** One `varname[:N|*]` of an expression. */
export interface VarSpec {
  /** The varname as written (pct-encoded triplets kept as they are). */
  readonly name: string;
  /** Prefix modifier `:N` (1 to 9999), or 0 when absent. */
  readonly prefix: number;
  /** Explode modifier `*`. */
  readonly explode: boolean;
}

/** One `{…}` expression. */
export interface UriTemplateExpression {
  readonly operator: UriTemplateOperator;
  readonly varspecs: readonly VarSpec[];
}

/** A literal run (copied as written) or an expression. */
export type UriTemplatePart = string | UriTemplateExpression;

/** A parsed template: its parts in order; adjacent literals are merged. */
export interface UriTemplate {
  readonly source: string;
  readonly parts: readonly UriTemplatePart[];
}

/** The outcome of {@link parseUriTemplate}. */
export type UriTemplateParseResult =
  | { readonly ok: true; readonly template: UriTemplate }
  | { readonly ok: false; readonly error: string; readonly index: number };

/** How one operator expands (RFC 6570 Appendix A table). */
export interface OperatorSpec {
  /** Appended before the first defined variable. */
  readonly first: string;
  /** Appended between defined variables (and exploded members). */
  readonly sep: string;
  /** `;`, `?`, `&`: each value is introduced by its name. */
  readonly named: boolean;
  /** Appended after the name when the value is empty. */
  readonly ifemp: string;
  /** `+`, `#`: reserved characters and pct-encoded triplets pass unencoded. */
  readonly allowReserved: boolean;
}

// [spec] Appendix A: first, sep, named, ifemp, allow for each operator.
export const OPERATORS: Readonly<Record<UriTemplateOperator, OperatorSpec>> = {
  '': { first: '', sep: ',', named: false, ifemp: '', allowReserved: false },
  '+': { first: '', sep: ',', named: false, ifemp: '', allowReserved: true },
  '.': { first: '.', sep: '.', named: false, ifemp: '', allowReserved: false },
  '/': { first: '/', sep: '/', named: false, ifemp: '', allowReserved: false },
  ';': { first: ';', sep: ';', named: true, ifemp: '', allowReserved: false },
  '?': { first: '?', sep: '&', named: true, ifemp: '=', allowReserved: false },
  '&': { first: '&', sep: '&', named: true, ifemp: '=', allowReserved: false },
  '#': { first: '#', sep: ',', named: false, ifemp: '', allowReserved: true },
};

/** ASCII character classes, one bit each (index: code unit < 128). */
export const UNRESERVED = 1;
export const RESERVED = 2;
export const HEXDIG = 4;
/** `0-9 A-F`: the hex digits an encoder writes (RFC 3986 §2.1: uppercase). */
export const HEXDIG_UPPER = 8;
const VARCHAR = 16;
const LITERAL = 32;

export const ASCII_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const mark = (chars: string, bit: number): void => {
    for (let i = 0; i < chars.length; i++) {
      const c = chars.charCodeAt(i);
      table[c] = (table[c] ?? 0) | bit;
    }
  };
  const range = (from: number, to: number, bit: number): void => {
    for (let c = from; c <= to; c++) table[c] = (table[c] ?? 0) | bit;
  };
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digit = '0123456789';
  // [spec] §1.5 (from RFC 3986): unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
  mark(alpha + digit + '-._~', UNRESERVED);
  // [spec] §1.5: reserved = gen-delims / sub-delims
  mark(':/?#[]@' + "!$&'()*+,;=", RESERVED);
  mark(digit + 'ABCDEFabcdef', HEXDIG);
  mark(digit + 'ABCDEF', HEXDIG_UPPER);
  // [spec] §2.3: varchar = ALPHA / DIGIT / "_" / pct-encoded
  mark(alpha + digit + '_', VARCHAR);
  // [spec] §2.1: literals = %x21 / %x23-24 / %x26 / %x28-3B / %x3D / %x3F-5B
  //   / %x5D / %x5F / %x61-7A / %x7E / ucschar / iprivate / pct-encoded
  range(0x21, 0x21, LITERAL);
  range(0x23, 0x24, LITERAL);
  range(0x26, 0x26, LITERAL);
  range(0x28, 0x3b, LITERAL);
  range(0x3d, 0x3d, LITERAL);
  range(0x3f, 0x5b, LITERAL);
  range(0x5d, 0x5d, LITERAL);
  range(0x5f, 0x5f, LITERAL);
  range(0x61, 0x7a, LITERAL);
  range(0x7e, 0x7e, LITERAL);
  return table;
})();

/** True when `c` (a code unit) is an ASCII character of `classBits`. */
export function isAscii(c: number, classBits: number): boolean {
  return c < 128 && ((ASCII_CLASS[c] ?? 0) & classBits) !== 0;
}

/** [spec] §2.1 ucschar / iprivate: the non-ASCII code points a literal may hold. */
function isUcsOrPrivate(cp: number): boolean {
  if (cp < 0xa0) return false;
  if (cp <= 0xd7ff) return true; // ucschar %xA0-D7FF
  if (cp < 0xe000) return false; // surrogates
  if (cp <= 0xf8ff) return true; // iprivate %xE000-F8FF
  if (cp <= 0xfdcf) return true; // ucschar %xF900-FDCF
  if (cp < 0xfdf0) return false; // noncharacters FDD0-FDEF
  if (cp <= 0xffef) return true; // ucschar %xFDF0-FFEF
  if (cp < 0x10000) return false;
  // ucschar %x10000-1FFFD … %xD0000-DFFFD, %xE1000-EFFFD; iprivate
  // %xF0000-FFFFD, %x100000-10FFFD: every plane but its last two code points,
  // and plane 14 from E1000.
  if ((cp & 0xffff) >= 0xfffe) return false;
  if (cp >= 0xe0000 && cp < 0xe1000) return false;
  return cp <= 0x10fffd;
}

function isPctAt(text: string, i: number): boolean {
  return (
    text.charCodeAt(i) === 0x25 &&
    isAscii(text.charCodeAt(i + 1), HEXDIG) &&
    isAscii(text.charCodeAt(i + 2), HEXDIG)
  );
}

/**
 * Parses an RFC 6570 template (level 4).
 *
 * Never throws: a malformed template, or one over a limit, gives
 * `{ ok: false, error, index }` with the offset of the offending code unit.
 * Time O(text length); no regular expression runs on the input.
 */
export function parseUriTemplate(text: string): UriTemplateParseResult {
  const fail = (error: string, index: number): UriTemplateParseResult => ({
    ok: false,
    error,
    index,
  });
  if (text.length > MAX_SELECTOR_LENGTH) {
    return fail(`longer than ${MAX_SELECTOR_LENGTH} characters`, MAX_SELECTOR_LENGTH);
  }
  const parts: UriTemplatePart[] = [];
  /** Start of the literal run being read: literals are copied as written. */
  let literalStart = 0;
  let varCount = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      // [spec] §2.2: expression = "{" [ operator ] variable-list "}"
      if (i > literalStart) parts.push(text.slice(literalStart, i));
      i++;
      let operator: UriTemplateOperator = '';
      const op = text[i];
      if (op === '+' || op === '#' || op === '.' || op === '/') operator = op;
      else if (op === ';' || op === '?' || op === '&') operator = op;
      else if (op === '=' || op === ',' || op === '!' || op === '@' || op === '|') {
        // [spec] §2.2: op-reserve, "reserved for future extensions"
        return fail(`reserved operator "${op}"`, i);
      }
      if (operator !== '') i++;
      const varspecs: VarSpec[] = [];
      for (;;) {
        // [spec] §2.3: varname = varchar *( ["."] varchar )
        const nameStart = i;
        for (;;) {
          if (isPctAt(text, i)) i += 3;
          else if (isAscii(text.charCodeAt(i), VARCHAR)) i++;
          else return fail('expected a variable name', i);
          if (text.charCodeAt(i) === 0x2e) {
            i++; // a dot must be followed by another varchar
            continue;
          }
          if (!isPctAt(text, i) && !isAscii(text.charCodeAt(i), VARCHAR)) break;
        }
        const name = text.slice(nameStart, i);
        varCount++;
        if (varCount > MAX_TEMPLATE_VARIABLES) {
          return fail(`more than ${MAX_TEMPLATE_VARIABLES} variables`, nameStart);
        }
        // [spec] §2.4: modifier-level4 = prefix / explode
        let prefix = 0;
        let explode = false;
        const m = text.charCodeAt(i);
        if (m === 0x3a) {
          // [spec] §2.4.1: max-length = %x31-39 0*3DIGIT ; positive integer < 10000
          i++;
          const first = text.charCodeAt(i);
          if (first < 0x31 || first > 0x39) return fail('expected a max-length 1-9999', i);
          prefix = first - 0x30;
          i++;
          for (let digits = 1; digits < 4; digits++) {
            const d = text.charCodeAt(i);
            if (d < 0x30 || d > 0x39) break;
            prefix = prefix * 10 + (d - 0x30);
            i++;
          }
        } else if (m === 0x2a) {
          // [spec] §2.4.2: explode = "*"
          explode = true;
          i++;
        }
        varspecs.push({ name, prefix, explode });
        const next = text.charCodeAt(i);
        if (next === 0x2c) {
          i++;
          continue;
        }
        if (next === 0x7d) {
          i++;
          break;
        }
        return fail(Number.isNaN(next) ? 'unterminated expression' : 'expected "," or "}"', i);
      }
      parts.push({ operator, varspecs });
      literalStart = i;
      continue;
    }
    if (c === 0x25) {
      // [spec] §2.1: "%" only as pct-encoded = "%" HEXDIG HEXDIG
      if (!isPctAt(text, i)) return fail('"%" not followed by two hex digits', i);
      i += 3;
      continue;
    }
    if (c < 0x80) {
      if (!isAscii(c, LITERAL)) return fail('character not allowed in a literal', i);
      i++;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    if (!isUcsOrPrivate(cp)) return fail('character not allowed in a literal', i);
    i += cp > 0xffff ? 2 : 1;
  }
  if (i > literalStart) parts.push(text.slice(literalStart, i));
  return { ok: true, template: { source: text, parts } };
}
