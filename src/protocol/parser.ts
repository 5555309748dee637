/**
 * Streaming parser for `text/event-stream`: bytes or text in, events out.
 *
 * Implements the event stream interpretation of WHATWG HTML exactly: UTF-8
 * decoding with one leading BOM stripped, CR / LF / CRLF line ends (also when a
 * CRLF or a UTF-8 sequence is split across chunks), comments, fields with and
 * without a colon, one leading space removed from values, `retry` only when all
 * ASCII digits, `id` ignored when it contains NUL, a block without data
 * dispatching nothing, and an unterminated block at the end of a stream
 * discarded.
 *
 * Pure and browser-safe: no I/O, no `node:` imports.
 *
 * Limits: one event (the line being read plus the data buffer) may hold at most
 * `maxEventSize` UTF-16 code units. A larger one is reported through `onError`
 * (`SSE_ERR_EVENT_TOO_LARGE`), discarded, and the parser skips to the next
 * blank line; it never retains the discarded text, so a hostile stream (an
 * endless line, a giant event) cannot grow memory without bound.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * Size: the spec's parsing steps in order, numbered, in one file, so each
 * `[spec]` comment can be read against the standard.
 */
import { SseError, type ProtocolErrorCode } from './sse-error.js';

/** One dispatched event, as an `EventSource` would deliver it. */
export interface ParsedEvent {
  /** The event type: the last `event:` field of the block, or `"message"` when none (or empty). */
  type: string;
  /** The `data:` lines of the block joined with LF. */
  data: string;
  /** The last event ID string at dispatch: persists across events until an `id` field changes it. */
  lastEventId: string;
}

export interface ParserCallbacks {
  /** Called for every dispatched event (a block with at least one `data` field). */
  onEvent: (event: ParsedEvent) => void;
  /** Called as soon as a valid `retry` field is read, with the reconnection time in ms. */
  onRetry?: ((ms: number) => void) | undefined;
  /** Called for every comment line with the text after `:` (one leading space removed). */
  onComment?: ((text: string) => void) | undefined;
  /**
   * Called when the stream breaks a limit (`SSE_ERR_EVENT_TOO_LARGE`). The offending
   * event is discarded and parsing resumes after the next blank line.
   * When absent, `feed()` throws the error instead (after the same recovery).
   */
  onError?: ((error: SseError<ProtocolErrorCode>) => void) | undefined;
}

export interface ParserOptions {
  /**
   * Largest event accepted, in UTF-16 code units: the line being read plus the
   * data collected so far for the current event.
   * @default 8388608 (8 Mi)
   */
  maxEventSize?: number;
  /**
   * The last event ID string to start from (for example the one a client had
   * before reconnecting).
   * @default ''
   */
  lastEventId?: string;
}

export interface Parser {
  /** Feeds the next chunk: a string, or bytes decoded as UTF-8 (sequences may be split). */
  feed(chunk: string | Uint8Array): void;
  /**
   * Starts a new stream (a reconnection): drops any partial line and unterminated
   * block (as at the end of a stream), restarts BOM and UTF-8 decoding state.
   * The last event ID string is kept, as an `EventSource` keeps it across
   * reconnections, unless `lastEventId` is given.
   */
  reset(options?: { lastEventId?: string }): void;
  /** The last event ID string: set when a block is dispatched, even one without data. */
  readonly lastEventId: string;
}

const DEFAULT_MAX_EVENT_SIZE = 8 * 1024 * 1024;

const LF = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;
const BOM = 0xfeff;

/** Matches a retry value: [spec] "consists of only ASCII digits". */
const ASCII_DIGITS = /^[0-9]+$/;

/** Creates a streaming event-stream parser. */
export function createParser(callbacks: ParserCallbacks, options: ParserOptions = {}): Parser {
  if (typeof callbacks.onEvent !== 'function') {
    throw new TypeError('createParser: callbacks.onEvent must be a function');
  }
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  if (!Number.isSafeInteger(maxEventSize) || maxEventSize < 1) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"maxEventSize" must be a positive integer, got ${String(maxEventSize)}`,
      { field: 'maxEventSize' },
    );
  }
  const { onEvent, onRetry, onComment, onError } = callbacks;

  // The state lives in closure variables rather than object fields: this is
  // the hottest code in a client, and V8 reads context slots fastest.
  let decoder: TextDecoder | undefined;
  /** False until the first character of the stream has been seen. */
  let started = false;
  /** The previous chunk ended in CR: a LF at the start of the next one belongs to it. */
  let skipLF = false;
  /** Text of a line not yet terminated. */
  let pending = '';
  /** Discarding an over-size event until the next blank line. */
  let discarding = false;
  /** While discarding: the current line has been seen to be non-empty. */
  let discardLineHasText = false;
  /** A limit error to throw once the current chunk is processed (no `onError`). */
  let deferredError: SseError<ProtocolErrorCode> | undefined;

  // [spec] "a data buffer, an event type buffer, and a last event ID buffer"
  let data = '';
  /** The data buffer is non-empty; `data` holds it without its trailing LF. */
  let hasData = false;
  let eventType = '';
  let lastEventId = options.lastEventId ?? '';
  let lastEventIdBuffer = lastEventId;

  function feed(chunk: string | Uint8Array): void {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      // [spec] "Streams must be decoded using the UTF-8 decode algorithm." That
      // algorithm strips one leading BOM; we strip it below so that string and
      // byte input behave the same, hence ignoreBOM here.
      decoder ??= new TextDecoder('utf-8', { ignoreBOM: true });
      text = decoder.decode(chunk, { stream: true });
    }
    scan(text);
    if (deferredError) {
      // Thrown only after the whole chunk is processed, so that events after
      // the discarded one are not lost.
      const error = deferredError;
      deferredError = undefined;
      throw error;
    }
  }

  /** Splits `text` into lines and processes each complete one. */
  function scan(text: string): void {
    const len = text.length;
    if (len === 0) return;
    let pos = 0;
    if (!started) {
      started = true;
      // [spec] "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    if (skipLF) {
      skipLF = false;
      if (text.charCodeAt(pos) === LF) pos++;
    }
    // Limits: every complete line is checked (its length plus the data buffer
    // so far) before it is used, and keepPartial checks the unterminated line,
    // so the outcome never depends on how the stream was cut into chunks.
    let cr = text.indexOf('\r', pos);
    let lf = text.indexOf('\n', pos);
    scanning: for (;;) {
      // General loop: any line ends, a line carried over from the previous
      // chunk, an over-size event being skipped. The next CR and LF are each
      // found once and reused until passed, so a chunk is scanned linearly
      // however its line ends are mixed. Once none of that applies to the
      // rest of the chunk, the fast loop below takes over.
      while (pos < len) {
        if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
        if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
        if (cr === -1 && pending === '' && !discarding) break;
        let end: number;
        let next: number;
        // [spec] a line ends at "a U+000D CARRIAGE RETURN U+000A LINE FEED
        // (CRLF) character pair, a single U+000A LINE FEED (LF) character, or
        // a single U+000D CARRIAGE RETURN (CR) character".
        if (cr === -1 || (lf !== -1 && lf < cr)) {
          if (lf === -1) break scanning; // the rest is an unterminated line
          end = lf;
          next = lf + 1;
        } else {
          end = cr;
          if (cr + 1 < len) {
            next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
          } else {
            // A CR closing the chunk ends the line now; a LF opening the next
            // chunk is the rest of the same CRLF.
            next = len;
            skipLF = true;
          }
        }
        if (discarding) {
          // Only a blank line ends the discarded event.
          if (end === pos && !discardLineHasText) discarding = false;
          discardLineHasText = false;
        } else if (pending !== '') {
          const joined = pending + text.slice(pos, end);
          pending = '';
          line(joined, 0, joined.length);
        } else if (end === pos) {
          dispatch();
        } else {
          line(text, pos, end);
        }
        pos = next;
      }
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      // Fast loop, the common case: the rest of the chunk has only LF line
      // ends, nothing carried over, nothing being skipped.
      while (lf !== -1) {
        if (lf === pos) {
          dispatch();
          pos = lf + 1;
        } else {
          if (
            text.charCodeAt(pos) === 0x64 &&
            text.charCodeAt(pos + 1) === 0x61 &&
            text.charCodeAt(pos + 2) === 0x74 &&
            text.charCodeAt(pos + 3) === 0x61 &&
            text.charCodeAt(pos + 4) === COLON &&
            lf - pos + data.length <= maxEventSize
          ) {
            // `data:`, the most frequent line, inline (same steps as in line()).
            const value = text.slice(text.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5, lf);
            if (hasData) data += '\n' + value;
            else {
              data = value;
              hasData = true;
            }
          } else if (
            text.charCodeAt(pos) === 0x69 &&
            text.charCodeAt(pos + 1) === 0x64 &&
            text.charCodeAt(pos + 2) === COLON &&
            lf - pos + data.length <= maxEventSize
          ) {
            // `id:`, on most events, inline (same steps as in line()).
            const value = text.slice(text.charCodeAt(pos + 3) === SPACE ? pos + 4 : pos + 3, lf);
            if (!value.includes('\0')) lastEventIdBuffer = value;
          } else if (
            text.charCodeAt(pos) === 0x65 &&
            text.charCodeAt(pos + 1) === 0x76 &&
            text.charCodeAt(pos + 2) === 0x65 &&
            text.charCodeAt(pos + 3) === 0x6e &&
            text.charCodeAt(pos + 4) === 0x74 &&
            text.charCodeAt(pos + 5) === COLON &&
            lf - pos + data.length <= maxEventSize
          ) {
            // `event:` inline (same steps as in line()).
            eventType = text.slice(text.charCodeAt(pos + 6) === SPACE ? pos + 7 : pos + 6, lf);
          } else {
            line(text, pos, lf);
            if (discarding) {
              // The line was over the limit: skip to the next blank line.
              pos = lf + 1;
              break;
            }
          }
          // The blank line that ends most events, handled without a lookup.
          if (text.charCodeAt(lf + 1) === LF) {
            dispatch();
            pos = lf + 2;
          } else {
            pos = lf + 1;
          }
        }
        lf = text.indexOf('\n', pos);
      }
      if (!discarding || pos >= len) break;
    }
    if (pos < len) keepPartial(text, pos, len);
  }

  /** Keeps the unterminated tail `text[pos, len)` for the next chunk, within the limit. */
  function keepPartial(text: string, pos: number, len: number): void {
    if (discarding) {
      discardLineHasText = true;
      return;
    }
    if (pending.length + (len - pos) + data.length > maxEventSize) {
      pending = '';
      discardLineHasText = true;
      tooLarge();
      return;
    }
    pending += pos === 0 ? text : text.slice(pos, len);
  }

  /** Discards the current event, skipping input up to the next blank line, and reports it. */
  function tooLarge(): void {
    discarding = true;
    data = '';
    hasData = false;
    eventType = '';
    const error = new SseError(
      'SSE_ERR_EVENT_TOO_LARGE',
      `event exceeds maxEventSize (${maxEventSize} characters); it was discarded`,
    );
    if (onError) onError(error);
    else deferredError ??= error;
  }

  /**
   * Processes the non-empty line `text[start, end)` (blank lines dispatch and
   * never get here). `text[end]` is a CR, a LF or past the end of `text`, so
   * reading it never matches a name character or a colon.
   */
  function line(text: string, start: number, end: number): void {
    if (end - start + data.length > maxEventSize) {
      tooLarge();
      return;
    }
    // [spec] "If the line contains a U+003A COLON character (:): Collect the
    // characters on the line before the first U+003A COLON character (:), and
    // let field be that string. Collect the characters on the line after the
    // first U+003A COLON character (:), and let value be that string. If value
    // starts with a U+0020 SPACE character, remove it from value."
    // [spec] "Otherwise, the string is not empty but does not contain a U+003A
    // COLON character (:): Process the field using the whole line as the field
    // name, and the empty string as the field value."
    // The four known names are matched in place, character by character; the
    // name ends at the colon or at the end of the line, otherwise it is another
    // (unknown) name.
    let nameEnd: number;
    switch (text.charCodeAt(start)) {
      // [spec] "If the line starts with a U+003A COLON character (:): Ignore the line."
      case COLON:
        if (onComment) onComment(text.slice(valueStart(text, start, end), end));
        return;
      case 0x64: // d
        nameEnd = start + 4;
        if (
          text.charCodeAt(start + 1) !== 0x61 ||
          text.charCodeAt(start + 2) !== 0x74 ||
          text.charCodeAt(start + 3) !== 0x61 ||
          (nameEnd !== end && text.charCodeAt(nameEnd) !== COLON)
        ) {
          return;
        }
        {
          // [spec] "If the field name is "data": Append the field value to the
          // data buffer, then append a single U+000A LINE FEED (LF) character
          // to the data buffer." We join with LF instead, and so never have a
          // trailing LF to remove at dispatch.
          const value = nameEnd === end ? '' : text.slice(valueStart(text, nameEnd, end), end);
          if (hasData) data += '\n' + value;
          else {
            data = value;
            hasData = true;
          }
        }
        return;
      case 0x69: // i
        nameEnd = start + 2;
        if (
          text.charCodeAt(start + 1) !== 0x64 ||
          (nameEnd !== end && text.charCodeAt(nameEnd) !== COLON)
        ) {
          return;
        }
        {
          // [spec] "If the field name is "id": If the field value does not
          // contain U+0000 NULL, then set the last event ID buffer to the field
          // value. Otherwise, ignore the field."
          const value = nameEnd === end ? '' : text.slice(valueStart(text, nameEnd, end), end);
          if (!value.includes('\0')) lastEventIdBuffer = value;
        }
        return;
      case 0x65: // e
        nameEnd = start + 5;
        if (
          text.charCodeAt(start + 1) !== 0x76 ||
          text.charCodeAt(start + 2) !== 0x65 ||
          text.charCodeAt(start + 3) !== 0x6e ||
          text.charCodeAt(start + 4) !== 0x74 ||
          (nameEnd !== end && text.charCodeAt(nameEnd) !== COLON)
        ) {
          return;
        }
        // [spec] "If the field name is "event": Set the event type buffer to field value."
        eventType = nameEnd === end ? '' : text.slice(valueStart(text, nameEnd, end), end);
        return;
      case 0x72: // r
        nameEnd = start + 5;
        if (
          text.charCodeAt(start + 1) !== 0x65 ||
          text.charCodeAt(start + 2) !== 0x74 ||
          text.charCodeAt(start + 3) !== 0x72 ||
          text.charCodeAt(start + 4) !== 0x79 ||
          (nameEnd !== end && text.charCodeAt(nameEnd) !== COLON)
        ) {
          return;
        }
        if (onRetry) {
          // [spec] "If the field value consists of only ASCII digits, then
          // interpret the field value as an integer in base ten, and set the
          // event stream's reconnection time to that integer. Otherwise,
          // ignore the field."
          const value = nameEnd === end ? '' : text.slice(valueStart(text, nameEnd, end), end);
          if (ASCII_DIGITS.test(value)) onRetry(Number(value));
        }
        return;
      default:
        // [spec] "Otherwise: The field is ignored."
        return;
    }
  }

  function dispatch(): void {
    // [spec] "If the line is empty (a blank line): Dispatch the event"
    // [spec] 1. "Set the last event ID string of the event source to the value
    // of the last event ID buffer. The buffer does not get reset."
    lastEventId = lastEventIdBuffer;
    // [spec] 2. "If the data buffer is an empty string, set the data buffer and
    // the event type buffer to the empty string and return."
    if (!hasData) {
      eventType = '';
      return;
    }
    // [spec] 3-6: the trailing LF was never added; the type is the event type
    // buffer, or "message" when it is empty.
    const event: ParsedEvent = {
      type: eventType === '' ? 'message' : eventType,
      data,
      lastEventId,
    };
    // [spec] 7. "Set the data buffer and the event type buffer to the empty string."
    data = '';
    hasData = false;
    eventType = '';
    onEvent(event);
  }

  function reset(resetOptions: { lastEventId?: string } = {}): void {
    // [spec] "Once the end of the file is reached, any pending data must be
    // discarded. (If the file ends in the middle of an event, before the final
    // empty line, the incomplete event is not dispatched.)"
    decoder = undefined;
    started = false;
    skipLF = false;
    pending = '';
    discarding = false;
    discardLineHasText = false;
    deferredError = undefined;
    data = '';
    hasData = false;
    eventType = '';
    if (resetOptions.lastEventId !== undefined) lastEventId = resetOptions.lastEventId;
    lastEventIdBuffer = lastEventId;
  }

  return {
    feed,
    reset,
    get lastEventId() {
      return lastEventId;
    },
  };
}

/**
 * Where a field value starts, given the position of the colon: [spec] one
 * leading U+0020 SPACE is removed.
 */
function valueStart(text: string, colon: number, end: number): number {
  return colon + 1 < end && text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
}
