/**
 * Mercure 1.0 topic matchers as data: a matcher type and a value, as they
 * arrive in subscribe parameters (`match`, `match_<type>`) and in the
 * `topics` of an access token's authorization details, and how one is
 * compiled into a test.
 *
 * [spec] "Matcher Types": hubs MUST support `exact` and `urlpattern`; the
 * value `*` is the reserved wildcard, matching every topic whatever the type
 * ("recognized before the matcher type is resolved"). Type names are
 * case-sensitive.
 *
 * ssehub adds `uritemplate` (RFC 6570, matched exactly as pre-1.0 `topic=`
 * selectors are, `uri-template-match.ts`): the type its subscription events
 * give a pre-1.0 selector, usable as `match_uritemplate=` and in a token's
 * `topics`, so one selector keeps its meaning across the two dialects. A
 * value that is not a well-formed template (or names a variable twice) is
 * refused, unlike a pre-1.0 `topic=`, which then matches only its own text.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#matcher-types
 */
import { SseError } from '../protocol/sse-error.js';
import { invalidMatcherCharacter, utf8Length } from './matcher-value.js';
import { compileUriTemplate, repeatedVariable } from './uri-template-match.js';
import { parseUriTemplate } from './uri-template-parse.js';
import {
  compileUrlPattern,
  DEFAULT_MAX_PATTERN_LENGTH,
  type UrlPatternOptions,
} from './url-pattern.js';

/** The matcher types this hub supports, in their canonical (wire) spelling. */
export const MATCHER_TYPES = ['exact', 'urlpattern', 'uritemplate'] as const;

/** A supported matcher type (`match_type` value, `match_<type>` suffix). */
export type MatcherType = (typeof MATCHER_TYPES)[number];

/** The reserved wildcard matcher value. */
export const WILDCARD_MATCHER = '*';

/** One topic matcher: `{ match_type, match }` on the wire. */
export interface TopicMatcherSpec {
  readonly type: MatcherType;
  readonly value: string;
}

/** True when `value` names a supported matcher type (case-sensitive). */
export function isMatcherType(value: unknown): value is MatcherType {
  return typeof value === 'string' && (MATCHER_TYPES as readonly string[]).includes(value);
}

/**
 * What a query (or QUERY body) parameter name means on the subscribe URL:
 * - a matcher type: `match` (exact), `match_exact`, `match_urlpattern`;
 * - `'reserved'`: any other name equal to `match` or starting with `match`
 *   under an ASCII case-insensitive comparison (`Match`, `match_regex`,
 *   `matches`): [spec] "MUST be rejected with a 400";
 * - `undefined`: not a matcher parameter (`last_event_id`, `topic`, …).
 */
export function classifyMatcherParam(name: string): MatcherType | 'reserved' | undefined {
  if (name === 'match') return 'exact';
  if (name.startsWith('match_')) {
    const type = name.slice('match_'.length);
    if (isMatcherType(type)) return type;
  }
  return name.slice(0, 5).toLowerCase() === 'match' ? 'reserved' : undefined;
}

/** A compiled matcher. */
export interface CompiledTopicMatcher {
  readonly spec: TopicMatcherSpec;
  /** Does `topic` match? */
  test(topic: string): boolean;
}

/** Options of {@link compileTopicMatcher}. */
export interface TopicMatcherOptions extends UrlPatternOptions {
  /** Longest accepted matcher value (any type), in UTF-8 bytes. @default 4096 */
  maxPatternLength?: number | undefined;
}

function invalid(spec: TopicMatcherSpec, message: string): SseError {
  const field = spec.type === 'exact' ? 'match' : `match_${spec.type}`;
  return new SseError('SSE_ERR_INVALID_TOPIC', `"${field}": ${message}`, { field });
}

/**
 * Checks and compiles one matcher ([spec] "Subscription": value constraints;
 * "Exact Matching": byte-for-byte, no resolution, no normalization).
 *
 * @returns the matcher, or an `SseError` (`SSE_ERR_INVALID_TOPIC`) whose
 * message is safe to show to a client.
 */
export function compileTopicMatcher(
  spec: TopicMatcherSpec,
  options: TopicMatcherOptions = {},
): CompiledTopicMatcher | SseError {
  const maxLength = options.maxPatternLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  if (spec.value === '') return invalid(spec, 'the topic matcher is empty');
  if (utf8Length(spec.value) > maxLength) {
    return invalid(spec, `the topic matcher is longer than ${maxLength} bytes`);
  }
  const bad = invalidMatcherCharacter(spec.value);
  if (bad !== undefined) return invalid(spec, `the topic matcher contains ${bad}`);
  if (spec.value === WILDCARD_MATCHER) return { spec, test: () => true };
  if (spec.type === 'exact') {
    const value = spec.value;
    return { spec, test: (topic) => topic === value };
  }
  if (spec.type === 'uritemplate') {
    const parsed = parseUriTemplate(spec.value);
    if (!parsed.ok) return invalid(spec, `not a URI template: ${parsed.error}`);
    const repeated = repeatedVariable(parsed.template);
    if (repeated !== undefined) {
      return invalid(spec, `the template names the variable "${repeated}" twice`);
    }
    const template = compileUriTemplate(parsed.template);
    const value = spec.value;
    // A template also matches its own text, as pre-1.0 `topic=` selectors do.
    return { spec, test: (topic) => topic === value || template.match(topic) };
  }
  const compiled = compileUrlPattern(spec.value, options);
  if (compiled instanceof SseError) return compiled;
  return { spec, test: (topic) => compiled.test(topic) };
}
