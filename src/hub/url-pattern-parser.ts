/**
 * The URL Pattern Standard's pattern-string tokenizer and parser: one
 * component's pattern string (`/books/:id`, `*.example.com`) to its part list.
 *
 * Why ssehub parses pattern strings itself: the standard compiles a part list
 * to a backtracking `RegExp`, and crafted patterns with no custom regexp at
 * all (`/*-*-*-*-*-*x`, `/:a-:b-:c-:d-:e-:f-x`) take exponential time on a
 * topic of a few hundred characters (measured: 67 s for 161 characters with
 * urlpattern-polyfill on Node 20). `url-pattern.ts` turns the part list into
 * an automaton that runs in linear time instead. The input here is always a
 * component string already canonicalized by a real `URLPattern` (native or
 * the polyfill), so this parser only has to agree with it on valid strings; on
 * anything it does not fully understand it refuses.
 *
 * Custom regexp groups are refused (their content would be user input run by
 * a backtracking engine); the two regexps the standard itself emits for
 * wildcards (`[^/]+?`-like segment wildcards and `.*`) are recognized and
 * become wildcard parts, as the standard does.
 *
 * @see https://urlpattern.spec.whatwg.org/#tokenizing
 * @see https://urlpattern.spec.whatwg.org/#parsing-pattern-strings
 */

/** [spec] "options": the delimiter and prefix code points of a component. */
export interface PatternOptions {
  /** `/` for special-scheme pathnames, `.` for hostnames, `` otherwise. */
  readonly delimiter: string;
  /** `/` for special-scheme pathnames, `` otherwise. */
  readonly prefix: string;
}

/** [spec] default options, hostname options, pathname options. */
export const DEFAULT_OPTIONS: PatternOptions = { delimiter: '', prefix: '' };
export const HOSTNAME_OPTIONS: PatternOptions = { delimiter: '.', prefix: '' };
export const PATHNAME_OPTIONS: PatternOptions = { delimiter: '/', prefix: '/' };

export type PartModifier = 'none' | 'optional' | 'zero-or-more' | 'one-or-more';

/**
 * One part. `fixed-text` matches `value` literally; the wildcards match one
 * or more code points other than the delimiter (`segment-wildcard`) or any
 * code points (`full-wildcard`), wrapped in `prefix` and `suffix`.
 */
export interface Part {
  readonly type: 'fixed-text' | 'segment-wildcard' | 'full-wildcard';
  readonly value: string;
  readonly modifier: PartModifier;
  readonly prefix: string;
  readonly suffix: string;
}

type TokenType =
  | 'open'
  | 'close'
  | 'regexp'
  | 'name'
  | 'char'
  | 'escaped-char'
  | 'other-modifier'
  | 'asterisk'
  | 'end';

interface Token {
  readonly type: TokenType;
  readonly value: string;
}

/** A pattern string this module refuses (or that is invalid). */
export class PatternParseError extends Error {
  override readonly name = 'PatternParseError';
}

// [spec] "valid name code point": ID_Start (or $ _) first, ID_Continue (or $,
// ZWNJ, ZWJ) after. Tested on one code point at a time: linear.
const NAME_START = /^[$_\p{ID_Start}]$/u;
const NAME_PART = /^[$_\u200C\u200D\p{ID_Continue}]$/u;

/** [spec] "tokenize" with the "strict" policy: any error throws. */
export function tokenize(input: string): Token[] {
  const cps = Array.from(input);
  const tokens: Token[] = [];
  let i = 0;
  while (i < cps.length) {
    const c = cps[i] ?? '';
    if (c === '*') {
      tokens.push({ type: 'asterisk', value: c });
      i += 1;
    } else if (c === '+' || c === '?') {
      tokens.push({ type: 'other-modifier', value: c });
      i += 1;
    } else if (c === '\\') {
      // [spec] a backslash escapes the next code point; at the end: error.
      const next = cps[i + 1];
      if (next === undefined) throw new PatternParseError('trailing "\\"');
      tokens.push({ type: 'escaped-char', value: next });
      i += 2;
    } else if (c === '{') {
      tokens.push({ type: 'open', value: c });
      i += 1;
    } else if (c === '}') {
      tokens.push({ type: 'close', value: c });
      i += 1;
    } else if (c === ':') {
      let j = i + 1;
      while (j < cps.length && (j === i + 1 ? NAME_START : NAME_PART).test(cps[j] ?? '')) j += 1;
      if (j === i + 1) throw new PatternParseError('":" without a group name');
      tokens.push({ type: 'name', value: cps.slice(i + 1, j).join('') });
      i = j;
    } else if (c === '(') {
      // [spec] a regexp token: balanced parentheses, ASCII only, nested
      // groups must be non-capturing, and the group must not be empty.
      let depth = 1;
      let j = i + 1;
      let value = '';
      if (cps[j] === '?') throw new PatternParseError('regexp group starting with "?"');
      while (j < cps.length) {
        const r = cps[j] ?? '';
        if (r.charCodeAt(0) > 0x7f) throw new PatternParseError('non-ASCII in a regexp group');
        if (r === '\\') {
          const next = cps[j + 1];
          if (next === undefined || next.charCodeAt(0) > 0x7f) {
            throw new PatternParseError('bad escape in a regexp group');
          }
          value += r + next;
          j += 2;
          continue;
        }
        if (r === ')') {
          depth -= 1;
          if (depth === 0) {
            j += 1;
            break;
          }
        } else if (r === '(') {
          depth += 1;
          if (cps[j + 1] !== '?') throw new PatternParseError('capturing group inside a group');
        }
        value += r;
        j += 1;
      }
      if (depth !== 0) throw new PatternParseError('unbalanced regexp group');
      if (value === '') throw new PatternParseError('empty regexp group');
      tokens.push({ type: 'regexp', value });
      i = j;
    } else {
      tokens.push({ type: 'char', value: c });
      i += 1;
    }
  }
  tokens.push({ type: 'end', value: '' });
  return tokens;
}

/** [spec] "escape a regexp string". */
function escapeRegexp(value: string): string {
  return value.replace(/[.+*?^${}()[\]|/\\]/g, (c) => `\\${c}`);
}

/** [spec] "generate a segment wildcard regexp". */
export function segmentWildcardRegexp(options: PatternOptions): string {
  return `[^${escapeRegexp(options.delimiter)}]+?`;
}

/** [spec] "full wildcard regexp value". */
export const FULL_WILDCARD_REGEXP = '.*';

function modifierOf(token: Token | undefined): PartModifier {
  if (token === undefined) return 'none';
  if (token.value === '?') return 'optional';
  if (token.value === '*') return 'zero-or-more';
  return 'one-or-more';
}

/**
 * [spec] "parse a pattern string", with the identity encoding callback (the
 * input is already canonical). Names are checked for duplicates as the
 * standard does; they are otherwise not kept, since matching only needs a
 * yes or no.
 *
 * @throws {PatternParseError} on a custom regexp group or any invalid input.
 */
export function parsePattern(input: string, options: PatternOptions): Part[] {
  const tokens = tokenize(input);
  const segmentWildcard = segmentWildcardRegexp(options);
  const parts: Part[] = [];
  const names = new Set<string>();
  let index = 0;
  let nextNumericName = 0;
  let pendingFixed = '';

  const tryConsume = (type: TokenType): Token | undefined => {
    const token = tokens[index];
    if (token?.type !== type) return undefined;
    index += 1;
    return token;
  };
  const tryConsumeModifier = (): Token | undefined =>
    tryConsume('other-modifier') ?? tryConsume('asterisk');
  const tryConsumeRegexpOrWildcard = (name: Token | undefined): Token | undefined => {
    const token = tryConsume('regexp');
    if (name === undefined && token === undefined) return tryConsume('asterisk');
    return token;
  };
  const consumeRequired = (type: TokenType): void => {
    if (tryConsume(type) === undefined) throw new PatternParseError(`expected ${type}`);
  };
  const consumeText = (): string => {
    let text = '';
    for (;;) {
      const token = tryConsume('char') ?? tryConsume('escaped-char');
      if (token === undefined) return text;
      text += token.value;
    }
  };
  const flushPendingFixed = (): void => {
    if (pendingFixed === '') return;
    parts.push({
      type: 'fixed-text',
      value: pendingFixed,
      modifier: 'none',
      prefix: '',
      suffix: '',
    });
    pendingFixed = '';
  };
  const addPart = (
    prefix: string,
    name: Token | undefined,
    regexpOrWildcard: Token | undefined,
    suffix: string,
    modifierToken: Token | undefined,
  ): void => {
    const modifier = modifierOf(modifierToken);
    if (name === undefined && regexpOrWildcard === undefined && modifier === 'none') {
      pendingFixed += prefix;
      return;
    }
    flushPendingFixed();
    if (name === undefined && regexpOrWildcard === undefined) {
      if (suffix !== '') throw new PatternParseError('group with a suffix and no name');
      if (prefix === '') return;
      parts.push({ type: 'fixed-text', value: prefix, modifier, prefix: '', suffix: '' });
      return;
    }
    let regexp: string;
    if (regexpOrWildcard === undefined) regexp = segmentWildcard;
    else if (regexpOrWildcard.type === 'asterisk') regexp = FULL_WILDCARD_REGEXP;
    else regexp = regexpOrWildcard.value;
    let type: Part['type'];
    if (regexp === segmentWildcard) type = 'segment-wildcard';
    else if (regexp === FULL_WILDCARD_REGEXP) type = 'full-wildcard';
    else {
      // [dos] A custom regexp would run user input on a backtracking engine.
      throw new PatternParseError('custom regexp groups are not supported');
    }
    const partName = name?.value ?? String(nextNumericName++);
    if (names.has(partName)) throw new PatternParseError(`duplicate group name "${partName}"`);
    names.add(partName);
    parts.push({ type, value: '', modifier, prefix, suffix });
  };

  while (index < tokens.length) {
    const charToken = tryConsume('char');
    const nameToken = tryConsume('name');
    const regexpOrWildcard = tryConsumeRegexpOrWildcard(nameToken);
    if (nameToken !== undefined || regexpOrWildcard !== undefined) {
      let prefix = charToken?.value ?? '';
      if (prefix !== '' && prefix !== options.prefix) {
        pendingFixed += prefix;
        prefix = '';
      }
      flushPendingFixed();
      addPart(prefix, nameToken, regexpOrWildcard, '', tryConsumeModifier());
      continue;
    }
    const fixedToken = charToken ?? tryConsume('escaped-char');
    if (fixedToken !== undefined) {
      pendingFixed += fixedToken.value;
      continue;
    }
    if (tryConsume('open') !== undefined) {
      const prefix = consumeText();
      const name = tryConsume('name');
      const regexp = tryConsumeRegexpOrWildcard(name);
      const suffix = consumeText();
      consumeRequired('close');
      addPart(prefix, name, regexp, suffix, tryConsumeModifier());
      continue;
    }
    flushPendingFixed();
    consumeRequired('end');
  }
  return parts;
}
