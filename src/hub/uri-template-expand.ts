/**
 * RFC 6570 expansion (level 4): variables in, URI out. The reverse matcher
 * (`uri-template-match.ts`) answers "does some assignment expand to this
 * topic?" for exactly this function; the property tests check one against
 * the other.
 *
 * Values: a string; a list of strings; an associative array, given as an
 * object (`{ name: value }`, in property order) or as a list of
 * `[name, value]` pairs (which may repeat a name, as a query string can).
 * `undefined`, `null`, an empty list and an empty array are undefined
 * ([spec] §2.3). Choices where the RFC leaves room, shared with the matcher:
 * - literals are copied as written, non-ASCII ones included (§3.1 would
 *   pct-encode ucschar and iprivate; Mercure selectors and topics are IRIs,
 *   and Mercure's Go hub copies them too);
 * - pct-encoding writes uppercase hex digits (RFC 3986 §2.1);
 * - a prefix modifier applies to strings only ([spec] §2.4.1 "not applicable
 *   to variables that have composite values"): a list or array throws;
 * - a named, non-exploded list whose members join to the empty string
 *   (`[""]`) is an empty value: `{;x}` gives `;x`, as for `""`;
 * - names in an associative array are non-empty (an empty one throws).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */
import {
  HEXDIG,
  OPERATORS,
  RESERVED,
  UNRESERVED,
  isAscii,
  type UriTemplate,
  type UriTemplateExpression,
} from './uri-template-parse.js';

/** A variable's value: string, list, or associative array (object or `[name, value]` pairs). */
export type UriTemplateValue =
  | string
  | readonly string[]
  | readonly (readonly [name: string, value: string])[]
  | Readonly<Record<string, string>>;

/** The variables of one expansion, by name (as written in the template). */
export type UriTemplateVariables =
  | ReadonlyMap<string, UriTemplateValue | null | undefined>
  | Readonly<Record<string, UriTemplateValue | null | undefined>>;

const HEX = '0123456789ABCDEF';

function pctEncodeCodePoint(cp: number): string {
  const bytes =
    cp < 0x80
      ? [cp]
      : cp < 0x800
        ? [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)]
        : cp < 0x10000
          ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
          : [
              0xf0 | (cp >> 18),
              0x80 | ((cp >> 12) & 0x3f),
              0x80 | ((cp >> 6) & 0x3f),
              0x80 | (cp & 0x3f),
            ];
  let out = '';
  for (const b of bytes) out += '%' + HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  return out;
}

/**
 * Encodes one value: characters outside the allowed set become the
 * pct-encoded triplets of their UTF-8 bytes. With `allowReserved` ([spec]
 * §3.2.3 `+`, §3.2.4 `#`), reserved characters and pct-encoded triplets
 * already in the value pass unchanged.
 *
 * @throws {TypeError} on a lone surrogate (not a Unicode string).
 */
export function encodeTemplateValue(value: string, allowReserved: boolean): string {
  let out = '';
  for (let i = 0; i < value.length;) {
    const c = value.charCodeAt(i);
    if (isAscii(c, allowReserved ? UNRESERVED | RESERVED : UNRESERVED)) {
      out += value.charAt(i);
      i++;
      continue;
    }
    if (
      allowReserved &&
      c === 0x25 &&
      isAscii(value.charCodeAt(i + 1), HEXDIG) &&
      isAscii(value.charCodeAt(i + 2), HEXDIG)
    ) {
      out += value.slice(i, i + 3);
      i += 3;
      continue;
    }
    const cp = value.codePointAt(i) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new TypeError('lone surrogate in a template value');
    out += pctEncodeCodePoint(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

/** The first `max` Unicode characters (code points) of `value`. */
function prefixOf(value: string, max: number): string {
  let i = 0;
  for (let n = 0; n < max && i < value.length; n++) {
    i += (value.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  }
  return value.slice(0, i);
}

type Normalized =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'pairs'; readonly pairs: readonly (readonly [string, string])[] };

function lookup(variables: UriTemplateVariables, name: string): unknown {
  if (variables instanceof Map) return variables.get(name);
  const record = variables as Readonly<Record<string, unknown>>;
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** The value of `name`, or undefined when the RFC calls it undefined (§2.3). */
function normalize(name: string, raw: unknown): Normalized | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return { kind: 'string', value: raw };
  const bad = (): TypeError => new TypeError(`template variable "${name}": not a template value`);
  let pairs: (readonly [string, string])[];
  if (Array.isArray(raw)) {
    const items = raw as readonly unknown[];
    if (items.length === 0) return undefined;
    if (items.every((item) => typeof item === 'string')) {
      return { kind: 'list', items };
    }
    if (!items.every((p) => Array.isArray(p) && p.length === 2)) throw bad();
    pairs = items as (readonly [string, string])[];
  } else if (typeof raw === 'object') {
    pairs = Object.entries(raw as Record<string, unknown>) as [string, string][];
    if (pairs.length === 0) return undefined;
  } else {
    throw bad();
  }
  for (const [key, value] of pairs) {
    if (typeof key !== 'string' || typeof value !== 'string') throw bad();
    if (key === '') throw new TypeError(`template variable "${name}": empty name in an array`);
  }
  return { kind: 'pairs', pairs };
}

function expandExpression(
  expression: UriTemplateExpression,
  variables: UriTemplateVariables,
): string {
  const { first, sep, named, ifemp, allowReserved } = OPERATORS[expression.operator];
  const enc = (value: string): string => encodeTemplateValue(value, allowReserved);
  let out = '';
  let defined = 0;
  for (const { name, prefix, explode } of expression.varspecs) {
    const value = normalize(name, lookup(variables, name));
    // [spec] §3.2.1: undefined variables are skipped, with their separator.
    if (value === undefined) continue;
    out += defined === 0 ? first : sep;
    defined++;
    if (value.kind === 'string') {
      // [spec] Appendix A: "if named is true, append the varname; if the
      // value is empty, append ifemp, else append '='"
      if (named) out += name + (value.value === '' ? ifemp : '=');
      // [spec] §2.4.1: the prefix counts characters before encoding.
      out += enc(prefix > 0 ? prefixOf(value.value, prefix) : value.value);
      continue;
    }
    if (prefix > 0) {
      throw new TypeError(`template variable "${name}": prefix modifier on a composite value`);
    }
    if (!explode) {
      // [spec] Appendix A: members (list) or name,value (array) joined by ","
      const joined =
        value.kind === 'list'
          ? value.items.map(enc).join(',')
          : value.pairs.map(([k, v]) => enc(k) + ',' + enc(v)).join(',');
      if (named) out += name + (joined === '' ? ifemp : '=');
      out += joined;
      continue;
    }
    // [spec] Appendix A, explode: members joined by sep; named operators
    // repeat the varname (list) or use each pair's name (array).
    const members =
      value.kind === 'list'
        ? value.items.map((item) =>
            named ? name + (item === '' ? ifemp : '=') + enc(item) : enc(item),
          )
        : value.pairs.map(([k, v]) =>
            named ? enc(k) + (v === '' ? ifemp : '=') + enc(v) : enc(k) + '=' + enc(v),
          );
    out += members.join(sep);
  }
  return out;
}

/**
 * Expands `template` with `variables` ([spec] §3).
 *
 * @throws {TypeError} on a value that is not a template value, a prefix
 *   modifier on a list or array, an empty name in an array, or a lone surrogate.
 */
export function expandUriTemplate(template: UriTemplate, variables: UriTemplateVariables): string {
  let out = '';
  for (const part of template.parts) {
    // [spec] §3.1: literals are copied (as written: see the file comment).
    out += typeof part === 'string' ? part : expandExpression(part, variables);
  }
  return out;
}
