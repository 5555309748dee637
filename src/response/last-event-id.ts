/**
 * Reads the client's last event ID from a request: the `Last-Event-ID` header,
 * else a query parameter.
 *
 * Security contract: the value comes from the client, unchecked. It may be any
 * string (within the runtime's header size limit); whoever uses it to look up
 * history must treat it as untrusted input.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
 */
import { splitTarget } from './request-target.js';

const NON_ASCII = /[\u0080-\uffff]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * [spec] The user agent sends the last event ID string "encoded as UTF-8",
 * while node (and Fetch `Headers`) hand header bytes over as Latin-1 code
 * points. Re-read those code points as UTF-8 bytes so a non-ASCII id comes back
 * as the client saw it. Anything that is not valid UTF-8 is returned unchanged.
 */
export function decodeHeaderValue(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value; // Already decoded by the runtime.
    bytes[i] = code;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return value;
  }
}

/**
 * A header value to send, as node and Fetch `Headers` take it: the value's
 * UTF-8 bytes as Latin-1 code points (the inverse of {@link decodeHeaderValue}),
 * so that non-ASCII text leaves as UTF-8 on HTTP/1.1 and HTTP/2 alike.
 */
export function encodeHeaderValue(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  let out = '';
  for (const byte of utf8Encoder.encode(value)) out += String.fromCharCode(byte);
  return out;
}

/**
 * The last event ID, or `undefined` when the client sent none. An empty value
 * counts as none: [spec] clients only send the header when their last event
 * ID is not empty, and an empty ID means "start from now" anyway.
 *
 * @param header the `Last-Event-ID` header value(s) as the runtime gives them
 * @param url the request target: a path with query (`/sse?x=1`) or a full URL
 * @param param the query parameter to fall back on, or `false` for none
 */
export function readLastEventId(
  header: string | readonly string[] | null | undefined,
  url: string | undefined,
  param: string | false,
): string | undefined {
  const fromHeader = typeof header === 'string' ? header : header?.[0];
  if (fromHeader !== undefined && fromHeader !== '') return decodeHeaderValue(fromHeader);
  if (param === false || url === undefined) return undefined;
  const fromQuery = splitTarget(url).query.get(param);
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}
