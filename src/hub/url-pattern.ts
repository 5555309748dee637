/**
 * `match_urlpattern` matchers (Mercure 1.0): a WHATWG URL Pattern compiled to
 * an automaton that tests topics in linear time.
 *
 * How: a real `URLPattern` (the native one when `globalThis.URLPattern`
 * exists, else `urlpattern-polyfill`) parses and canonicalizes the pattern
 * against the hub's URL, so syntax, relative resolution and canonicalization
 * are exactly the standard's. Its eight canonical component strings are then
 * parsed again here (`url-pattern-parser.ts`) and each part list becomes a
 * Thompson NFA, simulated state-set by state-set: O(topic length × pattern
 * size), never backtracking. The `URLPattern` object's own `test()` is never
 * called on a topic.
 *
 * Why not `URLPattern.test()`: the standard compiles patterns to backtracking
 * regular expressions, and the Mercure draft says ([spec] "URL Pattern") hubs
 * "MUST either use a regular expression engine that guarantees linear-time
 * matching (such as RE2) or enforce an implementation-defined evaluation cost
 * or time limit". Refusing custom regexp groups is not enough:
 * `/*-*-*-*-*-*x` has none and took 67 s on a 161-character topic with the
 * polyfill (see test/hub/url-pattern.test.ts). Both mitigations are applied:
 * the automaton is linear, and each evaluation also has a step budget
 * ({@link UrlPatternOptions.maxSteps}); a topic that exhausts it is treated as
 * not matching, as the draft requires ("the pattern MUST be treated as not
 * matching and the evaluation MUST be aborted").
 *
 * Refused at compile time (the result is an `SseError`, HTTP 400 for a
 * subscribe parameter, `invalid_token` inside a token):
 * - custom regexp groups (`/books/(\\d+)`, `:id(a+)`): user input for a
 *   backtracking engine. The wildcard regexps the standard itself writes
 *   (`([^/]+?)` in a pathname, `(.*)`) are accepted as wildcards. This
 *   deviates from the Go reference hub, which runs them on RE2; a pattern
 *   refused here still fails loudly, with a message saying why.
 * - patterns longer than {@link UrlPatternOptions.maxPatternLength} UTF-8
 *   bytes, control and format characters ([spec] "Subscription": C0, C1,
 *   DEL, `Cf`), and anything `URLPattern` rejects.
 *
 * Matching ([spec] "URL Pattern"): relative patterns and relative topics are
 * resolved against the hub's URL; `ignoreCase` is never set; a topic that
 * does not parse as a URL reference against the hub's URL matches nothing.
 * The value `*` is the reserved wildcard and matches every topic ([spec]
 * "Matcher Types": recognized before the matcher type is resolved).
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#url-pattern
 * @see https://urlpattern.spec.whatwg.org/
 *
 * Size: the WHATWG URL Pattern subset this hub accepts, its linear-time
 * compiler and its DoS bounds, which must be read together.
 */
import { URLPattern as PolyfillURLPattern } from 'urlpattern-polyfill/urlpattern';
import { SseError } from '../protocol/sse-error.js';
import {
  DEFAULT_OPTIONS,
  HOSTNAME_OPTIONS,
  parsePattern,
  PATHNAME_OPTIONS,
  PatternParseError,
  type Part,
  type PatternOptions,
} from './url-pattern-parser.js';
import { invalidMatcherCharacter, utf8Length } from './matcher-value.js';

/** Default of {@link UrlPatternOptions.baseUrl}: the hub path on a reserved host (RFC 6761). */
export const DEFAULT_URL_PATTERN_BASE = 'https://mercure.invalid/.well-known/mercure';
/** Default of {@link UrlPatternOptions.maxPatternLength}, in UTF-8 bytes (as the Go hub). */
export const DEFAULT_MAX_PATTERN_LENGTH = 4096;
/** Default of {@link UrlPatternOptions.maxSteps}. */
export const DEFAULT_MAX_URL_PATTERN_STEPS = 100_000;

/** Options of {@link compileUrlPattern}. */
export interface UrlPatternOptions {
  /**
   * The hub's URL, the base of relative patterns and topics ([spec] "the hub
   * MUST use the hub's URL as the base URL"). Use the configured resource
   * identifier when there is one; every matcher of one hub must use the same.
   *
   * @default DEFAULT_URL_PATTERN_BASE
   */
  baseUrl?: string | undefined;
  /** Longest accepted pattern, in UTF-8 bytes. @default 4096 */
  maxPatternLength?: number | undefined;
  /**
   * Evaluation budget of one `test()`: automaton states visited, summed over
   * the topic's components. Past it the evaluation stops and the topic does
   * not match. 100 000 steps take about 3 ms; an ordinary pattern
   * against an ordinary topic takes a few hundred.
   *
   * @default 100000
   */
  maxSteps?: number | undefined;
}

/** What one evaluation did, for tests and metrics. */
export interface UrlPatternEvaluation {
  readonly matched: boolean;
  /** Automaton states visited. */
  readonly steps: number;
  /** True when the step budget ran out (then `matched` is false). */
  readonly aborted: boolean;
}

/** A compiled `match_urlpattern` matcher. */
export interface CompiledUrlPattern {
  /** The pattern as given. */
  readonly pattern: string;
  /** Does `topic` match? False for topics that are not URL references. */
  test(topic: string): boolean;
  /** {@link test} with its cost. */
  evaluate(topic: string): UrlPatternEvaluation;
}

/** The part of the `URLPattern` interface used here. */
interface UrlPatternLike {
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
}
type UrlPatternConstructor = new (input: string, baseURL: string) => UrlPatternLike;

/** The native `URLPattern` when the runtime has one (Node 23.8+), else the polyfill. */
export const URLPatternImpl: UrlPatternConstructor =
  (globalThis as { URLPattern?: UrlPatternConstructor }).URLPattern ?? PolyfillURLPattern;

const COMPONENTS = [
  'protocol',
  'username',
  'password',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;
type Component = (typeof COMPONENTS)[number];

/** [spec] URL Pattern "special scheme list". */
const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss'];

// ---------------------------------------------------------------------------
// The automaton. States live in flat arrays; a state either consumes one code
// point (a literal, any, or anything but a delimiter) and moves to `next`, or
// only has epsilon edges.

const EPSILON = 0;
const LITERAL = 1;
const ANY = 2;
const NOT = 3;

class Nfa {
  readonly kind: number[] = [];
  readonly arg: number[] = [];
  readonly next: number[] = [];
  readonly eps: number[][] = [];
  start = 0;
  accept = -1;

  state(kind: number, arg = 0): number {
    this.kind.push(kind);
    this.arg.push(arg);
    this.next.push(-1);
    this.eps.push([]);
    return this.kind.length - 1;
  }
}

/** A piece of automaton with one entry and one (epsilon) exit. */
interface Fragment {
  readonly start: number;
  readonly end: number;
}

type Build = (nfa: Nfa) => Fragment;

function literal(text: string): Build {
  return (nfa) => {
    const start = nfa.state(EPSILON);
    let last = start;
    for (const ch of text) {
      const s = nfa.state(LITERAL, ch.codePointAt(0) ?? 0);
      nfa.eps[last]?.push(s);
      const after = nfa.state(EPSILON);
      nfa.next[s] = after;
      last = after;
    }
    return { start, end: last };
  };
}

function oneChar(kind: number, arg = 0): Build {
  return (nfa) => {
    const s = nfa.state(kind, arg);
    const end = nfa.state(EPSILON);
    nfa.next[s] = end;
    return { start: s, end };
  };
}

function sequence(...builds: Build[]): Build {
  return (nfa) => {
    const start = nfa.state(EPSILON);
    let end = start;
    for (const build of builds) {
      const f = build(nfa);
      nfa.eps[end]?.push(f.start);
      end = f.end;
    }
    return { start, end };
  };
}

function optional(build: Build): Build {
  return (nfa) => {
    const start = nfa.state(EPSILON);
    const f = build(nfa);
    const end = nfa.state(EPSILON);
    nfa.eps[start]?.push(f.start, end);
    nfa.eps[f.end]?.push(end);
    return { start, end };
  };
}

function star(build: Build): Build {
  return (nfa) => {
    const start = nfa.state(EPSILON);
    const f = build(nfa);
    const end = nfa.state(EPSILON);
    nfa.eps[start]?.push(f.start, end);
    nfa.eps[f.end]?.push(f.start, end);
    return { start, end };
  };
}

function plus(build: Build): Build {
  return (nfa) => {
    const f = build(nfa);
    const end = nfa.state(EPSILON);
    nfa.eps[f.end]?.push(f.start, end);
    return { start: f.start, end };
  };
}

function withModifier(build: Build, modifier: Part['modifier']): Build {
  if (modifier === 'optional') return optional(build);
  if (modifier === 'zero-or-more') return star(build);
  if (modifier === 'one-or-more') return plus(build);
  return build;
}

/**
 * [spec] "generate a regular expression and name list", as an automaton: the
 * same language, part by part. Laziness (`+?`) does not change the language.
 */
function partBuild(part: Part, options: PatternOptions): Build {
  if (part.type === 'fixed-text') return withModifier(literal(part.value), part.modifier);
  let wildcard: Build;
  if (part.type === 'full-wildcard') wildcard = star(oneChar(ANY));
  else if (options.delimiter === '') wildcard = plus(oneChar(ANY));
  else wildcard = plus(oneChar(NOT, options.delimiter.codePointAt(0) ?? 0));
  if (part.prefix === '' && part.suffix === '') return withModifier(wildcard, part.modifier);
  const prefix = literal(part.prefix);
  const suffix = literal(part.suffix);
  if (part.modifier === 'none' || part.modifier === 'optional') {
    return withModifier(sequence(prefix, wildcard, suffix), part.modifier);
  }
  // [spec] `(?:prefix((?:re)(?:suffix prefix(?:re))*)suffix)`, `?` for zero-or-more.
  const repeated = sequence(prefix, wildcard, star(sequence(suffix, prefix, wildcard)), suffix);
  return part.modifier === 'zero-or-more' ? optional(repeated) : repeated;
}

function compileParts(parts: readonly Part[], options: PatternOptions): Nfa {
  const nfa = new Nfa();
  const f = sequence(...parts.map((part) => partBuild(part, options)))(nfa);
  nfa.start = f.start;
  nfa.accept = f.end;
  return nfa;
}

/**
 * Runs the automaton on `input`, visiting at most `budget.left` states.
 * Returns whether it accepts; `budget.left` goes negative when it ran out.
 */
function run(nfa: Nfa, input: string, budget: { left: number }): boolean {
  const size = nfa.kind.length;
  const mark = new Int32Array(size).fill(-1);
  let current: number[] = [];
  let generation = 0;
  const stack: number[] = [];
  // Epsilon closure of `from` into `into`, stamping visited states.
  const close = (from: number, into: number[]): void => {
    stack.push(from);
    while (stack.length > 0) {
      const s = stack.pop() ?? 0;
      if (mark[s] === generation) continue;
      mark[s] = generation;
      budget.left -= 1;
      into.push(s);
      for (const t of nfa.eps[s] ?? []) if (mark[t] !== generation) stack.push(t);
    }
  };
  close(nfa.start, current);
  for (const ch of input) {
    if (budget.left < 0) return false;
    const cp = ch.codePointAt(0) ?? 0;
    generation += 1;
    const following: number[] = [];
    for (const s of current) {
      const kind = nfa.kind[s];
      if (kind === EPSILON) continue;
      const arg = nfa.arg[s];
      const ok = kind === ANY || (kind === LITERAL ? cp === arg : cp !== arg);
      if (ok) close(nfa.next[s] ?? 0, following);
    }
    if (following.length === 0) return false;
    current = following;
  }
  return budget.left >= 0 && current.includes(nfa.accept);
}

/** The value of each component of a URL, as URL Pattern matching reads them. */
function componentsOf(url: URL): Record<Component, string> {
  return {
    protocol: url.protocol.slice(0, -1),
    username: url.username,
    password: url.password,
    hostname: url.hostname,
    port: url.port,
    pathname: url.pathname,
    search: url.search.startsWith('?') ? url.search.slice(1) : url.search,
    hash: url.hash.startsWith('#') ? url.hash.slice(1) : url.hash,
  };
}

function invalidPattern(message: string, cause?: unknown): SseError {
  return new SseError('SSE_ERR_INVALID_TOPIC', `"match_urlpattern": ${message}`, {
    field: 'match_urlpattern',
    cause,
  });
}

const MATCH_ALL: Omit<CompiledUrlPattern, 'pattern'> = {
  test: () => true,
  evaluate: () => ({ matched: true, steps: 0, aborted: false }),
};

/**
 * Compiles a `match_urlpattern` value (or a `urlpattern` topic matcher of an
 * access token).
 *
 * @returns the matcher, or an `SseError` (`SSE_ERR_INVALID_TOPIC`, field
 * `match_urlpattern`) saying why the pattern is refused; its message is safe
 * to show to the client.
 */
export function compileUrlPattern(
  pattern: string,
  options: UrlPatternOptions = {},
): CompiledUrlPattern | SseError {
  const base = options.baseUrl ?? DEFAULT_URL_PATTERN_BASE;
  const maxLength = options.maxPatternLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_URL_PATTERN_STEPS;
  if (typeof pattern !== 'string' || pattern === '') {
    return invalidPattern('the URL pattern is empty');
  }
  if (utf8Length(pattern) > maxLength) {
    return invalidPattern(`the URL pattern is longer than ${maxLength} bytes`);
  }
  const bad = invalidMatcherCharacter(pattern);
  if (bad !== undefined) return invalidPattern(`the URL pattern contains ${bad}`);
  // [spec] "Matcher Types": `*` is the reserved wildcard, whatever the type.
  if (pattern === '*') return { pattern, ...MATCH_ALL };

  let canonical: UrlPatternLike;
  try {
    canonical = new URLPatternImpl(pattern, base);
  } catch (cause) {
    return invalidPattern('not a well-formed URL pattern', cause);
  }
  const automata = {} as Record<Component, Nfa>;
  try {
    automata.protocol = compileParts(
      parsePattern(canonical.protocol, DEFAULT_OPTIONS),
      DEFAULT_OPTIONS,
    );
    // [spec] pathname options apply when the protocol component matches a
    // special scheme; default options otherwise (opaque paths).
    const probe = { left: Number.MAX_SAFE_INTEGER };
    const special = SPECIAL_SCHEMES.some((scheme) => run(automata.protocol, scheme, probe));
    for (const component of COMPONENTS) {
      if (component === 'protocol') continue;
      let componentOptions = DEFAULT_OPTIONS;
      if (component === 'hostname') componentOptions = HOSTNAME_OPTIONS;
      else if (component === 'pathname' && special) componentOptions = PATHNAME_OPTIONS;
      automata[component] = compileParts(
        parsePattern(canonical[component], componentOptions),
        componentOptions,
      );
    }
  } catch (cause) {
    if (cause instanceof PatternParseError) {
      return invalidPattern(
        /regexp/.test(cause.message)
          ? 'custom regular expression groups are not supported in URL patterns (use :name, * or {…})'
          : 'unsupported URL pattern',
        cause,
      );
    }
    throw cause;
  }

  const evaluate = (topic: string): UrlPatternEvaluation => {
    let url: URL;
    try {
      // [spec] relative topics are resolved against the hub's URL; one that
      // does not parse matches no URL pattern.
      url = new URL(topic, base);
    } catch {
      return { matched: false, steps: 0, aborted: false };
    }
    const values = componentsOf(url);
    const budget = { left: maxSteps };
    for (const component of COMPONENTS) {
      if (!run(automata[component], values[component], budget)) {
        const aborted = budget.left < 0;
        return { matched: false, steps: maxSteps - budget.left, aborted };
      }
    }
    return { matched: true, steps: maxSteps - budget.left, aborted: false };
  };
  return { pattern, evaluate, test: (topic) => evaluate(topic).matched };
}
