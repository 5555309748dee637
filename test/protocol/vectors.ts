/**
 * Parser test vectors, derived from the WHATWG HTML Living Standard, section
 * 9.2 "Server-sent events": 9.2.5 "Parsing an event stream", 9.2.6
 * "Interpreting an event stream" (with "dispatch the event"), and the
 * EventSource processing model's "last event ID string". Each vector is named
 * after the rule it checks: `[spec]` quotes or paraphrases the standard,
 * `[encoding]` the WHATWG Encoding standard's UTF-8 decoder (which 9.2.6 says
 * to use), `[api]` a choice of this library's API. Vectors marked "wpt" mirror
 * a web-platform-tests `eventsource/format-*` case (how browsers read it).
 *
 * Unless a vector says otherwise it expects: no retry, no comment, no error,
 * and `parser.lastEventId === ''` after the input.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * @see https://encoding.spec.whatwg.org/#utf-8-decoder
 */
import type { ParsedEvent, ParserOptions } from '../../src/protocol/index.js';
import { bytes, ev, type Chunk } from './harness.js';

export interface Vector {
  name: string;
  /** The whole stream, as text (fed as text and as UTF-8) or as raw bytes. */
  input: string | Uint8Array;
  /** Extra explicit cut of the input, fed as given (checks one boundary on purpose). */
  chunks?: Chunk[];
  options?: ParserOptions;
  events: ParsedEvent[];
  retries?: number[];
  comments?: string[];
  /** `parser.lastEventId` after the input; default `''`. */
  lastEventId?: string;
}

const LONG = 'x'.repeat(2048);

export const vectors: Vector[] = [
  // ── 9.2.6: decoding and the byte order mark ─────────────────────────────
  {
    name: '[spec] one leading U+FEFF BOM is stripped ("One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present")',
    input: '\uFEFFdata: 1\n\n',
    events: [ev('1')],
  },
  {
    name: '[spec] a second BOM is part of the field name: only one leading BOM is ignored (wpt format-bom-2)',
    input: '\uFEFF\uFEFFdata: 1\n\ndata: 2\n\n',
    events: [ev('2')],
  },
  {
    name: '[spec] a BOM later in the stream is not stripped, even at the start of a line (wpt format-bom)',
    input: '\uFEFFdata: 1\n\n\uFEFFdata: 2\n\ndata: 3\n\n',
    events: [ev('1'), ev('3')],
  },
  {
    name: '[spec] a U+FEFF after a leading blank line is not a leading BOM',
    input: '\n\uFEFFdata: x\n\ndata: y\n\n',
    events: [ev('y')],
  },
  {
    name: '[spec] U+FEFF inside a value is kept',
    input: 'data: \uFEFFa\uFEFF\n\n',
    events: [ev('\uFEFFa\uFEFF')],
  },
  {
    name: '[spec] streams are UTF-8 ("Streams must be decoded using the UTF-8 decode algorithm"): 2-, 3- and 4-byte characters survive every split',
    input: 'event: 日本\nid: ✓\ndata: é ñ € 你好 😀 𝄞\ndata: ü\n\n',
    events: [ev('é ñ € 你好 😀 𝄞\nü', { type: '日本', id: '✓' })],
    lastEventId: '✓',
  },
  {
    name: '[encoding] invalid UTF-8 bytes decode to U+FFFD (a stray 0xFF and a lone continuation byte)',
    input: bytes('data: ', [0xff], 'a', [0x80], 'b\n\n'),
    events: [ev('\uFFFDa\uFFFDb')],
  },
  {
    name: '[encoding] a truncated multi-byte sequence is one U+FFFD (maximal subpart), the next character is kept',
    input: bytes('data: ', [0xe2, 0x82], 'x', [0xf0, 0x9f, 0x98], '\n\n'),
    events: [ev('\uFFFDx\uFFFD')],
  },
  {
    name: '[encoding] overlong, surrogate and out-of-range encodings give one U+FFFD per rejected byte',
    input: bytes(
      'data: ',
      [0xc0, 0x80],
      '|',
      [0xed, 0xa0, 0x80],
      '|',
      [0xf4, 0x90, 0x80, 0x80],
      '\n\n',
    ),
    events: [ev('\uFFFD\uFFFD|\uFFFD\uFFFD\uFFFD|\uFFFD\uFFFD\uFFFD\uFFFD')],
  },
  {
    name: '[encoding] a truncated sequence does not swallow the line feed after it; the U+FFFD line is an unknown field',
    input: bytes('data: a\n', [0xc3], '\ndata: b\n\n'),
    events: [ev('a\nb')],
  },
  {
    name: '[encoding] a truncated BOM (EF BB) is not a BOM: it decodes to U+FFFD, which joins the first field name',
    input: bytes([0xef, 0xbb], 'data: a\n\ndata: b\n\n'),
    events: [ev('b')],
  },

  // ── 9.2.6: line ends ─────────────────────────────────────────────────────
  {
    name: '[spec] CR, LF and CRLF all end lines ("a CRLF pair, a single LF not preceded by CR, and a single CR not followed by LF")',
    input: 'data: a\r\ndata: b\rdata: c\ndata: d\r\n\r\n',
    events: [ev('a\nb\nc\nd')],
  },
  {
    name: '[spec] CRLF split across two chunks is one line end, not two',
    input: 'data: a\r\ndata: b\r\n\r\n',
    chunks: ['data: a\r', '\ndata: b\r', '\n\r', '\n'],
    events: [ev('a\nb')],
  },
  {
    name: '[spec] LF then CR is two line ends (the CR makes a blank line)',
    input: 'data: a\n\rdata: b\n\n',
    events: [ev('a'), ev('b')],
  },
  {
    name: '[spec] CR CR is two line ends (a blank line)',
    input: 'data: a\r\rdata: b\r\r',
    events: [ev('a'), ev('b')],
  },
  {
    name: '[spec] a lone CR ends the line at once: the event dispatches without waiting for the next byte',
    input: 'data: x\r\r',
    chunks: ['data: x\r', '\r'],
    events: [ev('x')],
  },
  {
    name: '[spec] a CR in the middle of a line ends it: the rest is a new line (here an unknown field)',
    input: 'data: a\rb\n\n',
    events: [ev('a')],
  },
  {
    name: '[spec] mixed line ends in one block (wpt format-newlines)',
    input: 'data:test\r\ndata\ndata:test\r\n\r\n',
    events: [ev('test\n\ntest')],
  },

  // ── 9.2.6: splitting a line into field and value ─────────────────────────
  {
    name: '[spec] field without colon: whole line is the field name, value empty ("data" alone adds an empty line)',
    input: 'data\n\ndata\ndata\n\n',
    events: [ev(''), ev('\n')],
  },
  {
    name: '[spec] only the first colon separates name from value; later colons are part of the value',
    input: 'data: a:b: c\n\ndata:: x\n\n',
    events: [ev('a:b: c'), ev(': x')],
  },
  {
    name: '[spec] one leading space removed from value (only one): "If value starts with a U+0020 SPACE character, remove it"',
    input: 'data:  two\n\ndata:   three\n\n',
    events: [ev(' two'), ev('  three')],
  },
  {
    name: '[spec] no space after the colon: the value is taken as is ("data:test" equals "data: test")',
    input: 'data:test\n\ndata: test\n\n',
    events: [ev('test'), ev('test')],
  },
  {
    name: '[spec] only U+0020 is removed: a leading tab stays (wpt format-leading-space)',
    input: 'data:\ttest\rdata: \ndata:test\n\n',
    events: [ev('\ttest\n\ntest')],
  },
  {
    name: '[spec] trailing spaces are part of the value',
    input: 'data: a  \n\n',
    events: [ev('a  ')],
  },
  {
    name: '[spec] field names are case-sensitive ("compared literally, with no case folding")',
    input: 'Data: a\nDATA: b\nEvent: e\nID: 1\nRetry: 5\ndata: c\n\n',
    events: [ev('c')],
  },
  {
    name: '[spec] a space before the colon is part of the field name ("data " is not "data")',
    input: 'data : a\n data: b\ndata: c\n\n',
    events: [ev('c')],
  },
  {
    name: '[spec] unknown fields ignored ("Otherwise: The field is ignored"), also in a block of their own',
    input: 'foo: bar\n\ndata: a\nfoobar:xxx\njustsometext\nda-ta: 3\ndata_5\ndata: b\n\n',
    events: [ev('a\nb')],
  },
  {
    name: '[spec] field parsing fest: NUL, case, punctuation and leading spaces in names (wpt format-field-parsing)',
    input:
      'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n',
    events: [ev('\0\n 2\n1\n3\n\n4')],
  },

  // ── 9.2.6: data and dispatch ─────────────────────────────────────────────
  {
    name: '[spec] multiple data lines joined with LF, trailing LF removed (only the last one)',
    input: 'data: YHOO\ndata: +2\ndata: 10\n\ndata: a\ndata\n\n',
    events: [ev('YHOO\n+2\n10'), ev('a\n')],
  },
  {
    name: '[spec] data: with empty value dispatches an event with empty data (the data buffer is "\\n", not empty)',
    input: 'data:\n\ndata: \n\n',
    events: [ev(''), ev('')],
  },
  {
    name: '[spec] NUL in data preserved (wpt format-null-character)',
    input: 'data: a\0b\0\n\ndata:\0\n\n',
    events: [ev('a\0b\0'), ev('\0')],
  },
  {
    name: '[spec] blank lines without fields dispatch nothing ("If the data buffer is an empty string ... return")',
    input: '\n\n\r\n\r\rdata: x\n\n\n\n',
    events: [ev('x')],
  },
  {
    name: '[spec] a block with fields but no data line dispatches nothing',
    input: 'event: a\nfoo: b\n\n',
    events: [],
  },
  {
    name: '[spec] unterminated block at end of stream is discarded ("any pending data must be discarded")',
    input: 'data: a\n\nevent: x\ndata: b\ndata: c',
    events: [ev('a')],
  },
  {
    name: '[spec] one line end is not a blank line: a block ended by a single LF is still pending',
    input: 'data: a\n',
    events: [],
  },
  {
    name: '[spec] spec example: an empty "data" fires "", two fire "\\n", a last block without blank line is discarded',
    input: 'data\n\ndata\ndata\n\ndata:',
    events: [ev(''), ev('\n')],
  },

  // ── 9.2.6: event type ────────────────────────────────────────────────────
  {
    name: '[spec] event field sets the type ("change the type of the newly created event")',
    input: 'event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n',
    events: [ev('73857293', { type: 'add' }), ev('2153', { type: 'remove' })],
  },
  {
    name: '[spec] event type empty -> "message" (wpt format-field-event-empty)',
    input: 'event:\ndata: a\n\nevent: \ndata: b\n\nevent\ndata: c\n\n',
    events: [ev('a'), ev('b'), ev('c')],
  },
  {
    name: '[spec] the last event field in a block wins',
    input: 'event: a\nevent: b\ndata\n\n',
    events: [ev('', { type: 'b' })],
  },
  {
    name: '[spec] event type does not persist across events ("Set the data buffer and the event type buffer to the empty string")',
    input: 'event: a\ndata: 1\n\ndata: 2\n\n',
    events: [ev('1', { type: 'a' }), ev('2')],
  },
  {
    name: '[spec] event type is reset by a block that dispatches nothing too',
    input: 'event: a\n\ndata: 2\n\n',
    events: [ev('2')],
  },
  {
    name: '[spec] event type is taken literally: "message", non-ASCII, and spaces after the first one',
    input: 'event: message\ndata: 1\n\nevent:  ünï cödé \ndata: 2\n\n',
    events: [ev('1'), ev('2', { type: ' ünï cödé ' })],
  },

  // ── 9.2.6 + processing model: id and the last event ID string ────────────
  {
    name: "[spec] id field sets the event's lastEventId and the last event ID string",
    input: 'id: 1\ndata: a\n\n',
    events: [ev('a', { id: '1' })],
    lastEventId: '1',
  },
  {
    name: '[spec] an id after the data lines still belongs to that block',
    input: 'data: a\nid: 9\n\n',
    events: [ev('a', { id: '9' })],
    lastEventId: '9',
  },
  {
    name: '[spec] the last id field in a block wins',
    input: 'id: 1\nid: 2\ndata\n\n',
    events: [ev('', { id: '2' })],
    lastEventId: '2',
  },
  {
    name: '[spec] id persists across events until changed; empty id resets to empty ("The buffer does not get reset")',
    input:
      'id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid\ndata: d\n\ndata: e\n\nid: 3\ndata: f\n\nid:\ndata: g\n\n',
    events: [
      ev('a', { id: '1' }),
      ev('b', { id: '1' }),
      ev('c', { id: '2' }),
      ev('d'),
      ev('e'),
      ev('f', { id: '3' }),
      ev('g'),
    ],
  },
  {
    name: '[spec] id with NUL is ignored ("If the field value does not contain U+0000 NULL"; wpt format-field-id-null)',
    input:
      'id: 1\ndata: a\n\nid: \0\ndata: b\n\nid: x\0\ndata: c\n\nid: \0x\ndata: d\n\nid: x\0x\ndata: e\n\nid:\0\0\n\n',
    events: [
      ev('a', { id: '1' }),
      ev('b', { id: '1' }),
      ev('c', { id: '1' }),
      ev('d', { id: '1' }),
      ev('e', { id: '1' }),
    ],
    lastEventId: '1',
  },
  {
    name: '[spec] block without data dispatches nothing but still sets last event ID (seen on the next event and on parser.lastEventId)',
    input: 'id: 7\n\ndata: a\n\nid: 8\n\n',
    events: [ev('a', { id: '7' })],
    lastEventId: '8',
  },
  {
    name: '[spec] the last event ID string changes on dispatch (blank line), not when the id field is read',
    input: 'id: 4\ndata: a\n\nid: 5\ndata: b\n',
    events: [ev('a', { id: '4' })],
    lastEventId: '4',
  },
  {
    name: '[spec] one leading space removed from id, other spaces kept; non-ASCII ids (wpt format-field-id-2)',
    input: 'id:  x \ndata: a\n\nid: …\ndata: …\n\n',
    events: [ev('a', { id: ' x ' }), ev('…', { id: '…' })],
    lastEventId: '…',
  },
  {
    name: '[api] options.lastEventId is the initial last event ID string, carried by events until an id field changes it',
    input: 'data: a\n\nid: n\ndata: b\n\n',
    options: { lastEventId: 'start' },
    events: [ev('a', { id: 'start' }), ev('b', { id: 'n' })],
    lastEventId: 'n',
  },
  {
    name: '[api] options.lastEventId stays the last event ID string while nothing is dispatched',
    input: ': hi\ndata: pending\n',
    options: { lastEventId: 'start' },
    events: [],
    comments: ['hi'],
    lastEventId: 'start',
  },

  // ── 9.2.6: retry ─────────────────────────────────────────────────────────
  {
    name: '[spec] retry only when all ASCII digits (ignored: "1.5", " 100", "-1", "1e3", empty, no colon, "+5", "7 ", "0x10", "1000x")',
    input:
      'retry: 100\nretry:  200\nretry:1.5\nretry:-1\nretry:1e3\nretry:\nretry\nretry: +5\nretry: 7 \nretry:0x10\nretry:1000x\ndata: a\n\n',
    events: [ev('a')],
    retries: [100],
  },
  {
    name: '[spec] retry is base ten: leading zeros are not octal; 0 is valid (wpt format-field-retry)',
    input: 'retry: 03000\nretry:0\nretry: 1000\n\n',
    events: [],
    retries: [3000, 0, 1000],
  },
  {
    name: '[spec] only ASCII digits count: Arabic-Indic, fullwidth and superscript digits make retry ignored',
    input: 'retry: ١٢٣\nretry: １２３\nretry: ²\n\n',
    events: [],
  },
  {
    name: '[spec] retry takes effect when the field is processed, not on dispatch (even in a block never dispatched)',
    input: 'retry: 500\ndata: x',
    events: [],
    retries: [500],
  },
  {
    name: '[spec] a bogus retry after a valid one changes nothing; the event still dispatches (wpt format-field-retry-bogus)',
    input: 'retry:1000\nretry:2000x\ndata:x\n\n',
    events: [ev('x')],
    retries: [1000],
  },

  // ── 9.2.6: comments ──────────────────────────────────────────────────────
  {
    name: '[spec] comments ignored ("If the line starts with a U+003A COLON character (:) ignore the line") and reported to onComment, one leading space removed [api]',
    input: ': hello\n:world\n:  two\n:\n\n',
    events: [],
    comments: ['hello', 'world', ' two', ''],
  },
  {
    name: '[spec] a comment inside a block does not end or change it',
    input: 'data: a\n: c\ndata: b\n\n',
    events: [ev('a\nb')],
    comments: ['c'],
  },
  {
    name: '[spec] a comment that looks like a field stays a comment',
    input: ':data: x\n:id: 4\n:retry: 5\n:event: e\n\n',
    events: [],
    comments: ['data: x', 'id: 4', 'retry: 5', 'event: e'],
  },
  {
    name: '[spec] comment fest: NUL, empty and long comments between data lines (wpt format-comments)',
    input: `data:1\r:\0\n:\r\ndata:2\n:${LONG}\rdata:3\n:data:fail\r:${LONG}\ndata:4\n\n`,
    events: [ev('1\n2\n3\n4')],
    comments: ['\0', '', LONG, 'data:fail', LONG],
  },

  // ── whole streams ────────────────────────────────────────────────────────
  {
    name: '[spec] spec example: a comment block, an id that is then reset by an empty id, a value with one leading space left',
    input:
      ': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n',
    events: [ev('first event', { id: '1' }), ev('second event'), ev(' third event')],
    comments: ['test stream'],
  },
  {
    name: '[spec] a stream of many blocks: types, ids, comments and retry together',
    input:
      '\uFEFF: welcome\nretry: 2500\n\nevent: add\nid: 1\ndata: {"a":1}\n\n: keep-alive\n\ndata: plain\n\nevent: rm\nid: 2\ndata: x\ndata: y\r\n\r\n',
    events: [
      ev('{"a":1}', { type: 'add', id: '1' }),
      ev('plain', { id: '1' }),
      ev('x\ny', { type: 'rm', id: '2' }),
    ],
    retries: [2500],
    comments: ['welcome', 'keep-alive'],
    lastEventId: '2',
  },
];
