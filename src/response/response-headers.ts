/**
 * The response headers every SSE stream sends.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#server-sent-events-intro
 * @see https://www.rfc-editor.org/rfc/rfc9113#section-8.2.2 (no `Connection` header in HTTP/2)
 */
import type { SseHeaders } from './options.js';

/**
 * Headers for any HTTP version. `Connection` is deliberately absent: HTTP/2
 * forbids connection-specific header fields (RFC 9113 §8.2.2, a malformed
 * response), so only the HTTP/1.1 adapters add `Connection: keep-alive`.
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // [spec] the event stream MIME type; the stream is always UTF-8.
  'content-type': 'text/event-stream; charset=utf-8',
  // No cache may store or replay a live stream.
  'cache-control': 'no-cache',
  // nginx buffers proxied responses unless told not to.
  'x-accel-buffering': 'no',
});

/** SSE headers plus the caller's extras (which win on the same name). */
export function sseHeaders(extra: SseHeaders | undefined): SseHeaders {
  if (extra === undefined) return SSE_HEADERS;
  const out: Record<string, string | number | readonly string[]> = { ...SSE_HEADERS };
  for (const name of Object.keys(extra)) {
    const value = extra[name];
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}
