/**
 * Encoder: turns one event into `text/event-stream` text.
 *
 * Injection-safe by construction (DESIGN.md, convention 6): `data` and comments
 * are split on every line terminator the parser recognises (CRLF, CR, LF), so no
 * value can end a line early and smuggle in a field or a blank line; `id` and
 * `event` must not contain CR, LF or NUL and are refused otherwise.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
import { SseError } from './sse-error.js';

/** One event to write. Every field is optional; an empty object encodes to nothing useful. */
export interface EventInit {
  /**
   * The payload. Split on CRLF, CR and LF into one `data:` line each, so the
   * receiver gets it back with line ends normalised to LF. An empty string still
   * yields one `data:` line (and so dispatches an event with empty data).
   */
  data?: string | undefined;
  /** Event type (`event:`); the receiver sees `"message"` when omitted. No CR, LF or NUL. */
  event?: string | undefined;
  /** Event id (`id:`), becomes the receiver's last event ID. No CR, LF or NUL. */
  id?: string | undefined;
  /** Reconnection time in milliseconds (`retry:`): a non-negative integer. */
  retry?: number | undefined;
  /** A comment written before the fields (`: text`), ignored by receivers. */
  comment?: string | undefined;
}

// [spec] "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
// FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a
// single U+000D CARRIAGE RETURN (CR) character."
const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;
const UNSAFE_IN_FIELD = /[\r\n\0]/;

function checkSingleLine(field: 'id' | 'event', value: unknown): string {
  if (typeof value !== 'string') {
    throw new SseError('SSE_ERR_INVALID_FIELD', `"${field}" must be a string`, { field });
  }
  if (UNSAFE_IN_FIELD.test(value)) {
    // [spec] an id containing NUL is ignored by receivers, and CR/LF would end
    // the line: either way the receiver would not see what the sender meant.
    throw new SseError(
      'SSE_ERR_INVALID_FIELD',
      `"${field}" must not contain CR, LF or NUL characters`,
      { field },
    );
  }
  return value;
}

/** Writes `prefix` + each line of `text`, one per line, into a string. */
function lines(prefix: string, text: string): string {
  if (!HAS_LINE_BREAK.test(text)) return `${prefix}${text}\n`;
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += `${prefix}${line}\n`;
  return out;
}

/**
 * Encodes one event, terminated by the blank line that makes receivers
 * dispatch it. Field order: comment, event, id, retry, data.
 *
 * @throws {SseError} `SSE_ERR_INVALID_FIELD` when `id` or `event` contains CR,
 * LF or NUL, when `retry` is not a non-negative integer, or when a field has
 * the wrong type; the message names the field.
 */
export function encodeEvent(init: EventInit): string {
  let out = '';
  if (init.comment !== undefined) {
    if (typeof init.comment !== 'string') {
      throw new SseError('SSE_ERR_INVALID_FIELD', '"comment" must be a string', {
        field: 'comment',
      });
    }
    out += lines(': ', init.comment);
  }
  if (init.event !== undefined) out += `event: ${checkSingleLine('event', init.event)}\n`;
  if (init.id !== undefined) out += `id: ${checkSingleLine('id', init.id)}\n`;
  if (init.retry !== undefined) out += `retry: ${checkRetry(init.retry)}\n`;
  if (init.data !== undefined) {
    if (typeof init.data !== 'string') {
      throw new SseError('SSE_ERR_INVALID_FIELD', '"data" must be a string', { field: 'data' });
    }
    // One space after the colon is always written, so data that itself starts
    // with a space survives: [spec] the receiver removes exactly one.
    out += lines('data: ', init.data);
  }
  return `${out}\n`;
}

/**
 * Encodes a comment block (`: text`, one line per line of `text`) followed by a
 * blank line, so it can be written between events on its own. Receivers ignore
 * it; it keeps connections and proxies alive.
 */
export function encodeComment(text = ''): string {
  if (typeof text !== 'string') {
    throw new SseError('SSE_ERR_INVALID_FIELD', '"comment" must be a string', { field: 'comment' });
  }
  return `${text === '' ? ':\n' : lines(': ', text)}\n`;
}

/**
 * Encodes a lone `retry:` field (with its blank line) telling the receiver how
 * long to wait before reconnecting.
 */
export function encodeRetry(ms: number): string {
  return `retry: ${checkRetry(ms)}\n\n`;
}

function checkRetry(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SseError(
      'SSE_ERR_INVALID_FIELD',
      `"retry" must be a non-negative integer number of milliseconds, got ${String(value)}`,
      { field: 'retry' },
    );
  }
  return value;
}
