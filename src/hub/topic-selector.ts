/**
 * Topic selectors: which topics a subscription (or an authorization) covers.
 *
 * A selector is one of (Mercure v0.x, "Subscription"):
 * - `*`: every topic;
 * - an exact topic: any string without `{`, compared code unit by code unit;
 * - an RFC 6570 URI template, matched in reverse: the topic matches when some
 *   values of the template's variables expand to exactly the topic
 *   (`https://example.com/books/{id}` matches `…/books/1`, not
 *   `…/books/1/reviews`). A template also matches a topic equal to its own
 *   text, as the Go hub does.
 *
 * Reverse matching uses `uri-templates` in strict mode: a linear scan over the
 * template's literal parts (no regular expression built from user input, so
 * no catastrophic backtracking), with each variable's value checked against
 * its operator's allowed characters (`{id}` cannot span `/`, `{+path}` can).
 * A malformed template (`{`, `a{b}}`: not RFC 6570 syntax) matches nothing
 * but its own text.
 *
 * Cost model: a selector is compiled once (bounded cache of compiled
 * templates); each compiled template keeps a bounded cache of topic → result.
 * Exact selectors never reach this cache: the hub indexes them in a Map.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md (Subscription)
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */
import uriTemplates from 'uri-templates';

/** The wildcard selector. */
export const ANY_TOPIC = '*';

/** True when `selector` is matched by equality alone (no `*`, no template expression). */
export function isExactSelector(selector: string): boolean {
  return selector !== ANY_TOPIC && !selector.includes('{');
}

interface CompiledTemplate {
  readonly test: (topic: string) => boolean;
  /** topic → result; cleared when it reaches the per-selector bound. */
  readonly results: Map<string, boolean>;
}

const STRICT = { strict: true } as const;

/**
 * RFC 6570 §2 template syntax: literals and `{operator? varspec,…}` with
 * `varspec = varname (":" max-length | "*")?`. Each alternative starts with
 * a different character, so matching is linear.
 */
const WELL_FORMED =
  /^(?:[^{}]|\{[+#./;?&]?[A-Za-z0-9_%.]+(?::[1-9]\d{0,3}|\*)?(?:,[A-Za-z0-9_%.]+(?::[1-9]\d{0,3}|\*)?)*\})*$/;

function matchesNothing(): boolean {
  return false;
}

function compileTemplate(selector: string): CompiledTemplate {
  // A malformed template matches only its own text (checked before the cache).
  if (!WELL_FORMED.test(selector)) return { test: matchesNothing, results: new Map() };
  let test: (topic: string) => boolean;
  try {
    const template = uriTemplates(selector);
    test = (topic) => {
      try {
        return template.test(topic, STRICT);
      } catch {
        return false;
      }
    };
  } catch {
    test = matchesNothing;
  }
  return { test, results: new Map() };
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
 * results with a bound. One per hub; not shared between hubs.
 */
export class TopicMatcher {
  readonly #compiled = new Map<string, CompiledTemplate>();
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
      compiled = compileTemplate(selector);
      this.#compiled.set(selector, compiled);
    }
    const cached = compiled.results.get(topic);
    if (cached !== undefined) return cached;
    const result = compiled.test(topic);
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
