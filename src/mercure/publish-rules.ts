/**
 * The Mercure 1.0 publication rules the hub's field rules do not cover,
 * because they depend on the hub's URL or on the protocol rather than on
 * SSE (applied in `1.0` and `both` modes, to every publisher, whatever its
 * token's dialect: they protect 1.0 subscribers from forged subscription
 * events):
 *
 * - [spec] "Every topic value MUST NOT be exactly `*`";
 * - [spec] the reserved hub namespace: a topic that, resolved against the
 *   hub's URL, with its dot-segments removed and its percent-encoded
 *   unreserved characters decoded, is the hub's URL or below it (where the
 *   hub's own subscription events live) is refused ("not as a
 *   leading-substring match on the raw value");
 * - [spec] "hubs MUST reject a publish request whose `type` is `mercure`"
 *   (the type of the hub's own events).
 *
 * Every refusal is a 400 naming the field.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#publication
 */
import { SseError } from '../protocol/sse-error.js';
import type { Update } from '../hub/types.js';

/** `%XX` of an unreserved character (ALPHA, DIGIT, `-._~`), any case. */
const ENCODED_UNRESERVED = /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

function decodeUnreserved(path: string): string {
  return path.replace(ENCODED_UNRESERVED, (triplet) =>
    String.fromCharCode(parseInt(triplet.slice(1), 16)),
  );
}

function withoutDotSegments(path: string): string {
  return new URL(`http://h.invalid${path}`).pathname;
}

/** Does `topic` address the hub's reserved namespace (the hub URL, or below it)? */
export function addressesReservedNamespace(topic: string, hubUrl: string): boolean {
  let hub: URL;
  let target: URL;
  try {
    hub = new URL(hubUrl);
    target = new URL(topic, hub);
  } catch {
    return false; // not a URL reference: not in the namespace
  }
  // An opaque path (`urn:…`, `mailto:…`) names no hub path.
  if (!target.pathname.startsWith('/')) return false;
  // [spec] "regardless of scheme or authority"; decoding may form new
  // dot-segments (`%2E%2E`), so they are removed again after it.
  const path = withoutDotSegments(decodeUnreserved(target.pathname));
  const base = withoutDotSegments(decodeUnreserved(hub.pathname)).replace(/\/$/, '');
  return path === base || path.startsWith(`${base}/`);
}

function refuse(field: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_FIELD', message, { field });
}

/**
 * `rules`: `all` (1.0 and both modes), or `hub-events` (0.x mode with active
 * subscriptions on: only what keeps a publisher from forging the hub's
 * subscription events, the reserved namespace and the `mercure` type).
 *
 * @throws {SseError} `SSE_ERR_INVALID_FIELD` (400) naming the field.
 */
export function checkPublicationRules(
  update: Update,
  hubUrl: string,
  rules: 'all' | 'hub-events' = 'all',
): void {
  for (const topic of update.topics) {
    if (rules === 'all' && topic === '*') throw refuse('topic', '"topic" must not be "*"');
    if (addressesReservedNamespace(topic, hubUrl)) {
      throw refuse('topic', `"topic" must not be in the hub's reserved namespace (${hubUrl})`);
    }
  }
  if (update.type === 'mercure') {
    throw refuse('type', '"type" must not be "mercure" (reserved for the hub\'s own events)');
  }
}
