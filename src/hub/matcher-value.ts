/**
 * The character rules Mercure 1.0 puts on topics, matcher values and the
 * `id` / `type` publish fields ([spec] "Terminology", "Subscription",
 * "Publication"): valid UTF-8, no C0 (U+0000–U+001F) or C1 (U+0080–U+009F)
 * control characters, no U+007F, no Unicode format characters (category
 * `Cf`: bidirectional and zero-width controls, which are invisible and let one
 * identifier pass for another).
 *
 * A JS string is "valid UTF-8" when it has no lone surrogate: percent-decoding
 * (`URLSearchParams`) already turns invalid UTF-8 into U+FFFD, and a lone
 * surrogate can only come from JSON (`"\ud800"` in a token).
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#terminology
 */

// One code point class, tested once per code point: linear, no backtracking.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * The first forbidden character of `value`, described for an error message
 * (`"U+202E"`), or `undefined` when `value` is acceptable.
 */
export function invalidMatcherCharacter(value: string): string | undefined {
  const found = FORBIDDEN.exec(value);
  if (found === null) return undefined;
  const cp = found[0].codePointAt(0) ?? 0;
  return `a control or format character (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** Length of `value` in UTF-8 bytes, without allocating. */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
