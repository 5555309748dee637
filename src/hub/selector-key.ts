/**
 * The two dialects' topic selectors as one kind of value the hub can index:
 * a string key.
 *
 * - Mercure pre-1.0 (`topic=`): the selector as given: `*`, an exact topic,
 *   or an RFC 6570 URI template (`topic-selector.ts`).
 * - Mercure 1.0 matchers (`match`, `match_exact`, `match_urlpattern`, and the
 *   `topics` of an access token's authorization details): `{ match_type,
 *   match }`, encoded here behind a control character. Matcher values and
 *   legacy selectors may not contain control characters (the hub refuses
 *   them, [spec] "MUST NOT contain C0 … control characters"), so no client
 *   value can be mistaken for an encoded one, and one dialect's selector can
 *   never be read as the other's (`match={x}` is the exact topic `{x}`, not a
 *   template).
 *
 * A URL pattern carries the base URL it resolves relative patterns and
 * topics against ([spec] "the hub MUST use the hub's URL as the base URL"):
 * the HTTP layer knows it; the hub only keeps it with the pattern.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md (Matcher Types)
 */
import type { MatcherType } from './matcher-spec.js';

const MARK = '\u0001';
const EXACT = `${MARK}e`;
const URL_PATTERN = `${MARK}u`;

/** A selector key, as decoded. */
export type SelectorSpec =
  | { readonly type: 'legacy'; readonly value: string }
  | { readonly type: 'exact'; readonly value: string }
  | { readonly type: 'urlpattern'; readonly value: string; readonly baseUrl: string };

/** The key of a Mercure 1.0 `exact` matcher. */
export function exactSelector(value: string): string {
  return `${EXACT}${value}`;
}

/** The key of a Mercure 1.0 `urlpattern` matcher resolved against `baseUrl`. */
export function urlPatternSelector(value: string, baseUrl: string): string {
  return `${URL_PATTERN}${baseUrl}${MARK}${value}`;
}

/** The key of a 1.0 matcher of any type. */
export function matcherSelector(type: MatcherType, value: string, baseUrl: string): string {
  if (type === 'exact') return exactSelector(value);
  if (type === 'urlpattern') return urlPatternSelector(value, baseUrl);
  return uriTemplateSelector(value);
}

/**
 * The key of a `uritemplate` matcher: the pre-1.0 selector itself (same
 * matching). A value without `{` is an exact topic either way.
 */
export function uriTemplateSelector(value: string): string {
  return value;
}

/** Decodes a selector key. */
export function selectorSpec(key: string): SelectorSpec {
  if (key.startsWith(EXACT)) return { type: 'exact', value: key.slice(EXACT.length) };
  if (key.startsWith(URL_PATTERN)) {
    const rest = key.slice(URL_PATTERN.length);
    const split = rest.indexOf(MARK);
    return { type: 'urlpattern', baseUrl: rest.slice(0, split), value: rest.slice(split + 1) };
  }
  return { type: 'legacy', value: key };
}

/** The selector as a client wrote it (for messages, subscription events, logs). */
export function selectorValue(key: string): string {
  return selectorSpec(key).value;
}
