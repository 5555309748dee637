/**
 * Topic selectors: which topics a subscription (or an authorization) covers.
 *
 * A selector is a key (`selector-key.ts`): a Mercure 1.0 matcher
 * (`exact`: byte-for-byte equality; `urlpattern`: a WHATWG URL Pattern,
 * `url-pattern.ts`; `*` matches everything for both), or, as written, a
 * pre-1.0 selector, one of (Mercure v0.x, "Subscription"):
 * - `*`: every topic;
 * - an exact topic: any string without `{`, compared code unit by code unit;
 * - an RFC 6570 URI template, matched in reverse: the topic matches when some
 *   values of the template's variables expand to exactly the topic
 *   (`https://example.com/books/{id}` matches `…/books/1`, not
 *   `…/books/1/reviews`). A template also matches a topic equal to its own
 *   text, as the Go hub does.
 *
 * Reverse matching is exact (`uri-template-match.ts`): a topic matches only
 * when some assignment of the variables expands to it byte for byte, with
 * each operator's allowed characters (`{id}` cannot span `/`, `{+path}`
 * can), prefix modifiers (`{id:2}` covers at most two characters) and named
 * parameters (`{?x}` covers `?x=1`, never `?y=1`) respected. An over-match
 * here would leak private updates (subscribe) or let a publisher write to
 * topics it was not given (publish). Mind the explode modifier in
 * authorization claims: `{?x*}` covers any parameter names (`?y=1&z=2`), as
 * RFC 6570 expands an associative array with its own keys (§3.2.8).
 * Literals are compared as written, non-ASCII ones included (topics and
 * selectors are IRIs; see `uri-template-expand.ts`).
 *
 * A malformed template (`{`, `a{b}}`: not RFC 6570 syntax), one over the
 * limits (`MAX_SELECTOR_LENGTH`, `MAX_TEMPLATE_VARIABLES`) and one naming a
 * variable twice match nothing but their own text.
 *
 * Cost model: compiling is O(selector length); one match is O(topic length ×
 * selector states) in the worst case, whatever the input (no backtracking, no
 * regular expression built from input), so no cache is needed for safety.
 * {@link TopicMatcher} still keeps compiled selectors (bounded) and per
 * selector results (bounded) as an optimisation; exact selectors never reach
 * it: the hub indexes them in a Map.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md (Subscription)
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */
import { compileTopicMatcher } from './matcher-spec.js';
import { selectorSpec } from './selector-key.js';
import { compileUriTemplate, repeatedVariable } from './uri-template-match.js';
import { parseUriTemplate } from './uri-template-parse.js';

export { MAX_SELECTOR_LENGTH, MAX_TEMPLATE_VARIABLES } from './uri-template-parse.js';

/** The wildcard selector. */
export const ANY_TOPIC = '*';

/** True when `selector` is matched by equality alone (no `*`, no template expression). */
export function isExactSelector(selector: string): boolean {
  return selector !== ANY_TOPIC && !selector.includes('{');
}

/** A selector compiled once, matched many times. */
export interface CompiledSelector {
  /** The selector as given. */
  readonly selector: string;
  /**
   * `any` (`*`), `exact` (no `{`), `template` (a well-formed RFC 6570
   * template), `malformed` (has `{` but is not one, is over a limit, or
   * names a variable twice).
   */
  readonly kind: 'any' | 'exact' | 'template' | 'malformed' | 'pattern' | 'nothing';
  /**
   * For `exact` and `malformed`: the one topic the selector covers (the
   * hub indexes those by it).
   */
  readonly topic?: string | undefined;
  /** Does the selector cover `topic`? Linear in `topic` for a given selector. */
  match(topic: string): boolean;
}

/**
 * Compiles a topic selector: O(selector length) time and memory.
 *
 * Security contract: `match` never over-matches (see the file comment), and
 * its cost is bounded by the selector limits whatever the input.
 */
export function compileSelector(selector: string): CompiledSelector {
  const spec = selectorSpec(selector);
  if (spec.type !== 'legacy') {
    // [spec] "The matcher value `*` is reserved as a wildcard that matches
    // every topic. It is recognized before the matcher type is resolved."
    if (spec.value === ANY_TOPIC) return { selector, kind: 'any', match: () => true };
    if (spec.type === 'exact') {
      const value = spec.value;
      return { selector, kind: 'exact', topic: value, match: (topic) => topic === value };
    }
    const compiled = compileTopicMatcher(
      { type: spec.type, value: spec.value },
      { baseUrl: spec.baseUrl },
    );
    // The hub checks selectors before it compiles them (`checkSelectors`);
    // one that does not compile covers nothing.
    if (!('test' in compiled)) return { selector, kind: 'nothing', match: () => false };
    return { selector, kind: 'pattern', match: (topic) => compiled.test(topic) };
  }
  if (selector === ANY_TOPIC) return { selector, kind: 'any', match: () => true };
  const equals = (topic: string): boolean => topic === selector;
  if (!selector.includes('{')) return { selector, kind: 'exact', topic: selector, match: equals };
  const parsed = parseUriTemplate(selector);
  // A malformed template (or one naming a variable twice) matches only its own text.
  if (!parsed.ok || repeatedVariable(parsed.template) !== undefined) {
    return { selector, kind: 'malformed', topic: selector, match: equals };
  }
  const matcher = compileUriTemplate(parsed.template);
  return {
    selector,
    kind: 'template',
    // A template also matches its own text, as the Go hub does.
    match: (topic) => topic === selector || matcher.match(topic),
  };
}

interface CachedSelector {
  readonly compiled: CompiledSelector;
  /** topic → result; cleared when it reaches the per-selector bound. */
  readonly results: Map<string, boolean>;
}

/** Options of a {@link TopicMatcher}. */
export interface TopicMatcherOptions {
  /**
   * Most compiled templates kept; the oldest is dropped beyond it (and
   * recompiled if seen again).
   *
   * @default 10000
   */
  maxSelectors?: number | undefined;
  /**
   * Most topic results cached per template; the cache of a template is
   * cleared when it is full (topics are usually few and repeat).
   *
   * @default 1000
   */
  maxResultsPerSelector?: number | undefined;
}

/**
 * Matches topics against selectors, compiling each template once and caching
 * results with a bound (an optimisation: see {@link compileSelector} for the
 * cost without it). One per hub; not shared between hubs.
 */
export class TopicMatcher {
  readonly #compiled = new Map<string, CachedSelector>();
  readonly #maxSelectors: number;
  readonly #maxResults: number;

  constructor(options: TopicMatcherOptions = {}) {
    this.#maxSelectors = options.maxSelectors ?? 10_000;
    this.#maxResults = options.maxResultsPerSelector ?? 1000;
  }

  /** Does `selector` cover `topic`? */
  match(selector: string, topic: string): boolean {
    if (selector === ANY_TOPIC || selector === topic) return true;
    if (!selector.includes('{')) return false;
    let compiled = this.#compiled.get(selector);
    if (compiled === undefined) {
      if (this.#compiled.size >= this.#maxSelectors) {
        // Map iteration order is insertion order: drop the oldest.
        const oldest = this.#compiled.keys().next().value;
        if (oldest !== undefined) this.#compiled.delete(oldest);
      }
      compiled = { compiled: compileSelector(selector), results: new Map() };
      this.#compiled.set(selector, compiled);
    }
    const cached = compiled.results.get(topic);
    if (cached !== undefined) return cached;
    const result = compiled.compiled.match(topic);
    if (compiled.results.size >= this.#maxResults) compiled.results.clear();
    compiled.results.set(topic, result);
    return result;
  }

  /** Does any of `selectors` cover any of `topics`? */
  matchAny(selectors: readonly string[], topics: readonly string[]): boolean {
    for (const selector of selectors) {
      for (const topic of topics) if (this.match(selector, topic)) return true;
    }
    return false;
  }

  /** Number of compiled templates held (for tests and diagnostics). */
  get size(): number {
    return this.#compiled.size;
  }
}
