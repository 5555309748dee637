/**
 * ssehub's client in real Chromium, bundled for the page with esbuild, next
 * to the browser's own `EventSource` in the same page on the same streams.
 *
 * A test server (node:http, 127.0.0.1, port 0; a second port is "another
 * origin") serves the page, the bundle (`/client.js`, an ES module) and
 * scripted event streams. Every case opens the native `EventSource` and
 * ssehub's on the same stream URL (the `c` query parameter only tells the
 * server which client asks; both get the same bytes, attempt by attempt) and
 * records everything a page can observe: `url` and `withCredentials`, every
 * event in order (type, data, lastEventId, origin, whether it is a
 * `MessageEvent` targeted at the source), the readyState at each event,
 * opens, errors, reconnections; then listens on for a while after CLOSED, so
 * that a stray event or reconnection would show. The two logs must be
 * identical, and equal to what the WHATWG text says (each case is named by
 * the rule it checks, so that equal cannot be equally wrong). On the server
 * side both clients must have sent the same requests: the same paths in the
 * same order, every request header the same (Accept, Cache-Control, Pragma,
 * Last-Event-ID, Origin, Sec-Fetch-*…), and each reconnection after the
 * `retry:` the stream set.
 *
 * Two departures, both within the spec, are pinned rather than hidden:
 * - fetch preflights a cross-origin request carrying `Last-Event-ID` (not a
 *   CORS-safelisted header) where the native EventSource sends it as is: a
 *   cross-origin server must allow it (ssehub's hub does);
 * - a CORS failure fails Chromium's EventSource at once (a retry is
 *   "futile"), while fetch reports it as the network error it cannot be told
 *   from, so ssehub reconnects.
 *
 * Last, both subscribe to a real hub server on another origin (CORS),
 * receive the same published updates, and both resume the same way after
 * the hub drops their connections.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { publish, startHub, token, type TestHub } from '../hub-server/helpers.js';
import { within } from '../response/helpers.js';
import { browserSkip, launchBrowser, openPage, screenshot } from './helpers.js';

/** The client bundled as the page loads it: one ES module, browser platform. */
function bundleClient(): string {
  const result = buildSync({
    entryPoints: [fileURLToPath(new URL('../../src/client/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  assert.ok(file, 'esbuild produced the bundle');
  return file.text;
}

/**
 * How long the page keeps listening after a source is done (CLOSED), so that
 * an event or a reconnection that should not happen has time to show. Longer
 * than the `retry: 200` of the streams.
 */
const GRACE_MS = 500;

/** The page: the bundle imported as a module; `compare()` runs both clients on one stream. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>EventSource: native and ssehub</title>
<link rel="icon" href="data:,">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 1rem; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  pre { background: #f4f4f4; padding: .5rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
  h2 { font-size: 14px; margin: 0 0 .25rem; }
</style>
<h1>native EventSource and ssehub's, same streams</h1>
<main>
  <section><h2>native</h2><pre id="native"></pre></section>
  <section><h2>ssehub</h2><pre id="ssehub"></pre></section>
</main>
<script type="module">
  import * as ssehub from '/client.js';
  const GRACE_MS = ${String(GRACE_MS)};
  const TIMEOUT_MS = 6000;
  const CLIENTS = { native: globalThis.EventSource, ssehub: ssehub.EventSource };

  // Records what a page sees of one source until it is CLOSED (then GRACE_MS more).
  function record(client, url, { types = [], closeOn }) {
    const Ctor = CLIENTS[client];
    const pre = document.getElementById(client);
    return new Promise((resolve) => {
      const log = [];
      const note = (line) => {
        log.push(line);
        pre.textContent += line + '\\n';
      };
      const source = new Ctor(url);
      const shown = (href) => href.replace('c=' + client, 'c=*');
      note('init rs=' + source.readyState + ' url=' + shown(source.url) +
        ' withCredentials=' + source.withCredentials);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        setTimeout(() => {
          source.close();
          resolve(log);
        }, GRACE_MS);
      };
      const deadline = setTimeout(() => {
        note('timeout rs=' + source.readyState);
        finish();
      }, TIMEOUT_MS);
      const closeNow = () => {
        source.close();
        note('close() rs=' + source.readyState);
        finish();
      };
      const onMessage = (event) => {
        const kind = event instanceof MessageEvent && event.target === source &&
          event.source === null && event.ports.length === 0 ? '' : ' (not a MessageEvent of the source)';
        note(event.type + ' data=' + JSON.stringify(event.data) +
          ' id=' + JSON.stringify(event.lastEventId) + ' origin=' + event.origin +
          ' rs=' + source.readyState + kind);
        if (closeOn === 'message') closeNow();
      };
      // The event handler IDL attributes for open, message and error; listeners for the rest.
      source.onopen = () => note('open rs=' + source.readyState);
      source.onmessage = onMessage;
      for (const type of types) source.addEventListener(type, onMessage);
      source.onerror = () => {
        note('error rs=' + source.readyState);
        if (closeOn === 'error' && source.readyState !== source.CLOSED) closeNow();
        else if (source.readyState === source.CLOSED) finish();
      };
    });
  }

  window.compare = async (url, options) => {
    const [native, ours] = await Promise.all([
      record('native', url + '&c=native', options),
      record('ssehub', url + '&c=ssehub', options),
    ]);
    for (const id of ['native', 'ssehub']) document.getElementById(id).textContent += '\\n';
    return { native, ssehub: ours };
  };

  // The hub: both clients on one subscribe URL, their logs kept on window.
  window.hubLogs = { native: [], ssehub: [] };
  window.hubOpens = 0;
  window.subscribeBoth = (url, types) => {
    for (const client of ['native', 'ssehub']) {
      const source = new CLIENTS[client](url);
      const log = window.hubLogs[client];
      source.onopen = () => { window.hubOpens++; };
      const onMessage = (event) => {
        log.push({ type: event.type, data: event.data, lastEventId: event.lastEventId, origin: event.origin });
        document.getElementById(client).textContent += event.type + ' ' + JSON.stringify(event.data) + '\\n';
      };
      source.onmessage = onMessage;
      for (const type of types) source.addEventListener(type, onMessage);
      source.onerror = () => log.push({ error: source.readyState });
    }
  };
  window.bundleLoaded = typeof ssehub.EventSource === 'function' && typeof ssehub.connect === 'function';
</script>`;

/** One scripted response. */
interface Reply {
  /** @default 200 */
  status?: number;
  /** @default { 'content-type': 'text/event-stream' } */
  headers?: Record<string, string>;
  /** Written one by one, 20 ms apart, so that they tend to arrive as separate reads. */
  chunks?: (string | Uint8Array)[];
  /** After the chunks: end the body, keep it open, or destroy the socket (a network error). @default 'end' */
  then?: 'end' | 'hold' | 'destroy';
  /** A 307 to this stream (same client, same run): on the page's origin or the other one. */
  redirect?: { stream: string; origin: 'page' | 'other' };
}

/** A request as the server saw it. */
interface Seen {
  stream: string;
  method: string;
  headers: IncomingMessage['headers'];
  /** The `Last-Event-ID` header's bytes read as UTF-8 (node reads header bytes as latin1). */
  lastEventId: string | null;
  at: number;
  /** When the response ended (or the socket was destroyed), for the reconnection delay. */
  endedAt?: number;
  /** It was answered with a redirect (the next request follows it, without delay). */
  redirected?: boolean;
  closed: Promise<void>;
}

/** One case: a stream (its replies by attempt; the last one repeats) and what must be seen. */
interface Case {
  /** The WHATWG rule it checks (the test's name). */
  rule: string;
  /** The stream's name (its path: `/s/<stream>`). */
  stream: string;
  replies: Reply[];
  /** Other streams the replies redirect to. */
  targets?: Record<string, Reply[]>;
  /** Event types listened to besides `message`. */
  types?: string[];
  closeOn?: 'message' | 'error';
  /** The log both clients must produce (`<page>` and `<other>` stand for the origins). */
  expected: string[];
  /** The requests both must send, in order: the stream and its `Last-Event-ID` (null: none). */
  requests: [stream: string, lastEventId: string | null][];
  /** The reconnection delay both must have waited (ms): the stream's `retry:`. */
  retry?: number;
  /**
   * CORS preflights ssehub's client sends (the native one sends none): fetch
   * preflights a cross-origin request with `Last-Event-ID`, a header it does
   * not safelist, where the browser's EventSource sends it as it is.
   * @default 0
   */
  preflights?: number;
  /**
   * Where ssehub departs from Chromium (both within the spec): its log after
   * `init`, instead of {@link expected}.
   */
  departure?: string[];
}

const OPEN = 'open rs=1';
const RECONNECTING = 'error rs=0';
const FAILED = 'error rs=2';
const init = (stream: string): string =>
  `init rs=0 url=<page>/s/${stream}?run=<run>&c=* withCredentials=false`;
const msg = (type: string, data: string, id = '', origin = '<page>'): string =>
  `${type} data=${JSON.stringify(data)} id=${JSON.stringify(id)} origin=${origin} rs=1`;

const ended = (...chunks: (string | Uint8Array)[]): Reply => ({ chunks });
const NO_CONTENT: Reply = { status: 204, headers: {} };
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** A CORS header on every stream, for the case redirected to the other origin. */
const CORS = { 'access-control-allow-origin': '*' };

const CASES: Case[] = [
  {
    rule: '[spec] the event type buffer names the event; "message" when it is empty (or absent)',
    stream: 'named',
    replies: [
      ended(
        'retry: 200\n\n' +
          'event: add\ndata: one\n\n' +
          'data: two\n\n' +
          'event: remove\ndata: three\n\n' +
          'event\ndata: four\n\n' +
          'event: message\ndata: five\n\n' +
          // No data: nothing dispatched, and the type buffer is reset.
          'event: add\n\n' +
          'data: six\n\n',
      ),
      NO_CONTENT,
    ],
    types: ['add', 'remove', 'unheard'],
    expected: [
      OPEN,
      msg('add', 'one'),
      msg('message', 'two'),
      msg('remove', 'three'),
      msg('message', 'four'),
      msg('message', 'five'),
      msg('message', 'six'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['named', null],
      ['named', null],
    ],
    retry: 200,
  },
  {
    rule: '[spec] data lines join with LF; one trailing LF removed; "data" alone appends an empty line',
    stream: 'multiline',
    replies: [
      ended(
        'retry: 200\n\n' +
          'data: a\ndata:b\ndata:  c\ndata\n\n' +
          // The data buffer is "\n", not empty: dispatched with empty data.
          'data:\n\n' +
          // Blank lines with an empty data buffer dispatch nothing.
          '\n\n\n' +
          'data: {"json": true}\ndata: [1, 2]\n\n',
      ),
      NO_CONTENT,
    ],
    expected: [
      OPEN,
      msg('message', 'a\nb\n c\n'),
      msg('message', ''),
      msg('message', '{"json": true}\n[1, 2]'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['multiline', null],
      ['multiline', null],
    ],
  },
  {
    rule: '[spec] id persists until changed, an empty id resets it; Last-Event-ID carries it; an unfinished event is dropped',
    stream: 'ids',
    replies: [
      ended('retry: 200\nid: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\ndata: d\n\n'),
      // "id: 3" alone sets the last event ID string without an event; the
      // event cut by the end of the body ("id: 9") is discarded, id and all.
      ended('id: 2\ndata: e\n\nid: 3\n\nid: 9\ndata: lost\n'),
      ended('data: f\n\n'),
      NO_CONTENT,
    ],
    expected: [
      OPEN,
      msg('message', 'a', '1'),
      msg('message', 'b', '1'),
      msg('message', 'c'),
      msg('message', 'd'),
      RECONNECTING,
      OPEN,
      msg('message', 'e', '2'),
      RECONNECTING,
      OPEN,
      msg('message', 'f', '3'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['ids', null],
      ['ids', null],
      ['ids', '3'],
      ['ids', '3'],
    ],
    retry: 200,
  },
  {
    rule: '[spec] an id field whose value contains NUL is ignored',
    stream: 'nul-id',
    replies: [ended('retry: 200\nid: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n'), NO_CONTENT],
    expected: [OPEN, msg('message', 'a', '1'), msg('message', 'b', '1'), RECONNECTING, FAILED],
    requests: [
      ['nul-id', null],
      ['nul-id', '1'],
    ],
  },
  {
    rule: '[spec] Last-Event-ID is the last event ID string encoded as UTF-8',
    stream: 'unicode-id',
    replies: [ended('retry: 200\nid: é ✓ 🎉\ndata: a\n\n'), NO_CONTENT],
    expected: [OPEN, msg('message', 'a', 'é ✓ 🎉'), RECONNECTING, FAILED],
    requests: [
      ['unicode-id', null],
      ['unicode-id', 'é ✓ 🎉'],
    ],
  },
  {
    rule: '[spec] comments and unknown fields are ignored; "field:value" and "field: value" alike; retry: only digits',
    stream: 'fields',
    replies: [
      ended(
        'retry: 200\n' +
          ': a comment\n:\n:data: not data\n' +
          'foo: bar\nDATA: no\nData: no\n  data: indented\n' +
          'data:a\nunknown\ndata: b:c\n' +
          // Not only digits: ignored (a client that read them would wait 1 ms, 5 s or 16 ms).
          'retry: 1.5\nretry: 5e3\nretry: 0x10\nretry: -1\nretry:  300\n' +
          '\n',
      ),
      NO_CONTENT,
    ],
    expected: [OPEN, msg('message', 'a\nb:c'), RECONNECTING, FAILED],
    requests: [
      ['fields', null],
      ['fields', null],
    ],
    retry: 200,
  },
  {
    rule: '[spec] lines end with CRLF, LF or CR, also when a CRLF is split between reads; a final CR ends its line',
    stream: 'line-ends',
    replies: [
      ended(
        'retry: 200\r\r',
        'data: cr\r\r',
        'data: lf\n\n',
        'data: crlf\r\n\r\n',
        'data: mixed\rdata: 2\ndata: 3\r\n\r',
        '\n',
        'data: split\r',
        '\ndata: crlf\r\n\r\n',
        'data: ends with cr\r\r',
      ),
      NO_CONTENT,
    ],
    expected: [
      OPEN,
      msg('message', 'cr'),
      msg('message', 'lf'),
      msg('message', 'crlf'),
      msg('message', 'mixed\n2\n3'),
      msg('message', 'split\ncrlf'),
      msg('message', 'ends with cr'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['line-ends', null],
      ['line-ends', null],
    ],
    retry: 200,
  },
  {
    rule: '[spec] one leading BOM is ignored, on every stream (also split between reads); a second one is not',
    stream: 'bom',
    replies: [
      ended(bytes(0xef, 0xbb, 0xbf), 'retry: 200\n\ndata: a\n\n\uFEFFdata: b\n\ndata: c\n\n'),
      ended(bytes(0xef), bytes(0xbb, 0xbf), '\uFEFFdata: ignored\n\ndata: d\n\n'),
      NO_CONTENT,
    ],
    expected: [
      OPEN,
      msg('message', 'a'),
      msg('message', 'c'),
      RECONNECTING,
      OPEN,
      msg('message', 'd'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['bom', null],
      ['bom', null],
      ['bom', null],
    ],
  },
  {
    rule: '[spec] UTF-8 decode: sequences split between reads join; invalid bytes become U+FFFD',
    stream: 'utf8',
    replies: [
      ended(
        'retry: 200\n\ndata: ',
        bytes(0xe2),
        bytes(0x82, 0xac),
        ' ',
        bytes(0xf0, 0x9f),
        bytes(0x8e),
        bytes(0x89),
        '\n\ndata: bad ',
        bytes(0xff, 0x41, 0xe2, 0x82, 0x0a, 0x0a),
      ),
      NO_CONTENT,
    ],
    expected: [
      OPEN,
      msg('message', '€ 🎉'),
      msg('message', 'bad \uFFFDA\uFFFD'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['utf8', null],
      ['utf8', null],
    ],
  },
  {
    rule: '[spec] the end of the body reestablishes the connection after the reconnection time (retry:), with Last-Event-ID',
    stream: 'end',
    replies: [ended('retry: 200\nid: a-1\ndata: first\n\n'), NO_CONTENT],
    expected: [OPEN, msg('message', 'first', 'a-1'), RECONNECTING, FAILED],
    requests: [
      ['end', null],
      ['end', 'a-1'],
    ],
    retry: 200,
  },
  {
    rule: '[spec] a network error (the connection is reset mid-stream) reestablishes the connection',
    stream: 'reset',
    replies: [
      { chunks: ['retry: 200\nid: n-1\ndata: before the reset\n\n'], then: 'destroy' },
      NO_CONTENT,
    ],
    expected: [OPEN, msg('message', 'before the reset', 'n-1'), RECONNECTING, FAILED],
    requests: [
      ['reset', null],
      ['reset', 'n-1'],
    ],
    retry: 200,
  },
  {
    rule: '[spec] a 204 fails the connection at once: CLOSED, no open, no reconnection',
    stream: 'no-content',
    replies: [NO_CONTENT],
    expected: [FAILED],
    requests: [['no-content', null]],
  },
  {
    rule: '[spec] a 500 fails the connection: CLOSED, no reconnection',
    stream: 'server-error',
    replies: [{ status: 500, headers: { 'content-type': 'text/plain' }, chunks: ['boom'] }],
    expected: [FAILED],
    requests: [['server-error', null]],
  },
  {
    rule: '[spec] a status other than 200 on a reconnection fails the connection',
    stream: 'then-503',
    replies: [
      ended('retry: 200\nid: s-1\ndata: x\n\n'),
      { status: 503, headers: { 'content-type': 'text/plain' }, chunks: ['later'] },
    ],
    expected: [OPEN, msg('message', 'x', 's-1'), RECONNECTING, FAILED],
    requests: [
      ['then-503', null],
      ['then-503', 's-1'],
    ],
  },
  {
    rule: '[spec] a Content-Type other than text/event-stream fails the connection',
    stream: 'text-plain',
    replies: [{ headers: { 'content-type': 'text/plain' }, chunks: ['data: no\n\n'] }],
    expected: [FAILED],
    requests: [['text-plain', null]],
  },
  {
    rule: '[spec] no Content-Type fails the connection',
    stream: 'no-type',
    replies: [{ headers: {}, chunks: ['data: no\n\n'] }],
    expected: [FAILED],
    requests: [['no-type', null]],
  },
  {
    rule: '[spec] the MIME type is compared without its parameters',
    stream: 'params',
    replies: [
      {
        headers: { 'content-type': 'text/event-stream; charset=utf-8' },
        chunks: ['retry: 200\ndata: with parameters\n\n'],
      },
      NO_CONTENT,
    ],
    expected: [OPEN, msg('message', 'with parameters'), RECONNECTING, FAILED],
    requests: [
      ['params', null],
      ['params', null],
    ],
  },
  {
    rule: '[spec] a 307 is followed; url stays the first URL; the reconnection goes to the final URL (whatwg/html#503)',
    stream: 'redirect',
    replies: [{ status: 307, headers: {}, redirect: { stream: 'moved-here', origin: 'page' } }],
    targets: {
      'moved-here': [ended('retry: 200\nid: r-1\ndata: redirected\n\n'), NO_CONTENT],
    },
    expected: [OPEN, msg('message', 'redirected', 'r-1'), RECONNECTING, FAILED],
    requests: [
      ['redirect', null],
      ['moved-here', null],
      ['moved-here', 'r-1'],
    ],
    retry: 200,
  },
  {
    rule: '[spec] a 307 to another origin (CORS): the events have the origin of the final URL',
    stream: 'redirect-cross',
    replies: [{ status: 307, headers: {}, redirect: { stream: 'over-there', origin: 'other' } }],
    targets: {
      'over-there': [
        {
          headers: { 'content-type': 'text/event-stream', ...CORS },
          chunks: ['retry: 200\nid: o-1\ndata: from the other origin\n\n'],
        },
        { status: 204, headers: CORS },
      ],
    },
    expected: [
      `open rs=1`,
      msg('message', 'from the other origin', 'o-1', '<other>'),
      RECONNECTING,
      FAILED,
    ],
    requests: [
      ['redirect-cross', null],
      ['over-there', null],
      ['over-there', 'o-1'],
    ],
    preflights: 1,
  },
  {
    rule: '[spec] a CORS failure: Chromium fails the connection ("futile"); fetch cannot tell it from a network error',
    stream: 'redirect-no-cors',
    replies: [{ status: 307, headers: {}, redirect: { stream: 'no-cors', origin: 'other' } }],
    targets: { 'no-cors': [ended('data: not for this page\n\n')] },
    closeOn: 'error',
    expected: [FAILED],
    departure: [RECONNECTING, 'close() rs=2'],
    requests: [
      ['redirect-no-cors', null],
      ['no-cors', null],
    ],
  },
  {
    rule: '[spec] close() in onmessage: nothing more is dispatched, even from the same chunk; the request is aborted',
    stream: 'close-in-message',
    replies: [
      {
        chunks: ['retry: 200\n\ndata: one\n\ndata: two\n\nevent: named\ndata: three\n\n'],
        then: 'hold',
      },
    ],
    types: ['named'],
    closeOn: 'message',
    expected: [OPEN, msg('message', 'one'), 'close() rs=2'],
    requests: [['close-in-message', null]],
  },
  {
    rule: '[spec] close() in onerror: no reconnection',
    stream: 'close-in-error',
    replies: [ended('retry: 200\ndata: x\n\n')],
    closeOn: 'error',
    expected: [OPEN, msg('message', 'x'), RECONNECTING, 'close() rs=2'],
    requests: [['close-in-error', null]],
  },
];

/** Every stream's replies, by name. */
const STREAMS = new Map<string, Reply[]>();
for (const c of CASES) {
  STREAMS.set(c.stream, c.replies);
  for (const [target, replies] of Object.entries(c.targets ?? {})) STREAMS.set(target, replies);
}

/** The test server: the page, the bundle, the streams; on two origins (two ports). */
class PageServer {
  readonly servers: Server[] = [];
  readonly sockets = new Set<Socket>();
  /** Requests by `${run}|${client}`, in arrival order. */
  readonly seen = new Map<string, Seen[]>();
  readonly #attempts = new Map<string, number>();
  readonly #bundle: string;
  pageOrigin = '';
  otherOrigin = '';

  constructor(bundle: string) {
    this.#bundle = bundle;
  }

  async start(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const server = createServer((req, res) => {
        this.#handle(req, res);
      });
      server.on('connection', (socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      });
      server.listen(0, '127.0.0.1');
      await within(once(server, 'listening'), 'the page server to listen');
      this.servers.push(server);
    }
    const port = (i: number): number => (this.servers[i]?.address() as AddressInfo).port;
    this.pageOrigin = `http://127.0.0.1:${port(0)}`;
    this.otherOrigin = `http://127.0.0.1:${port(1)}`;
  }

  requests(run: string, client: string): Seen[] {
    return this.seen.get(`${run}|${client}`) ?? [];
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.pageOrigin);
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (url.pathname === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(this.#bundle);
      return;
    }
    const stream = /^\/s\/([\w-]+)$/.exec(url.pathname)?.[1];
    const replies = stream === undefined ? undefined : STREAMS.get(stream);
    const run = url.searchParams.get('run') ?? '';
    const client = url.searchParams.get('c') ?? '';
    if (stream === undefined || replies === undefined) {
      res.writeHead(404).end();
      return;
    }
    const raw = req.headers['last-event-id'] as string | undefined;
    const seen: Seen = {
      stream,
      method: req.method ?? '',
      headers: req.headers,
      lastEventId: raw === undefined ? null : Buffer.from(raw, 'latin1').toString('utf8'),
      at: Date.now(),
      closed: new Promise((resolve) => res.once('close', resolve)),
    };
    const key = `${run}|${client}`;
    const list = this.seen.get(key) ?? [];
    list.push(seen);
    this.seen.set(key, list);
    if (req.method === 'OPTIONS') {
      // A CORS preflight: allowed (what a hub on another origin answers).
      res
        .writeHead(204, {
          ...CORS,
          'access-control-allow-headers': 'last-event-id',
          'access-control-max-age': '0',
        })
        .end();
      return;
    }
    const attemptKey = `${stream}|${key}`;
    const attempt = this.#attempts.get(attemptKey) ?? 0;
    this.#attempts.set(attemptKey, attempt + 1);
    const reply = replies[Math.min(attempt, replies.length - 1)];
    assert.ok(reply);
    void this.#send(res, reply, seen, url.search);
  }

  async #send(res: ServerResponse, reply: Reply, seen: Seen, search: string): Promise<void> {
    const headers: Record<string, string> = reply.headers ?? {
      'content-type': 'text/event-stream',
    };
    if (reply.redirect !== undefined) {
      const origin = reply.redirect.origin === 'page' ? this.pageOrigin : this.otherOrigin;
      headers.location = `${origin}/s/${reply.redirect.stream}${search}`;
      seen.redirected = true;
    }
    res.writeHead(reply.status ?? 200, headers);
    res.flushHeaders();
    for (const chunk of reply.chunks ?? []) {
      res.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (res.destroyed) return;
    }
    seen.endedAt = Date.now();
    if (reply.then === 'destroy') res.destroy();
    else if (reply.then !== 'hold') res.end();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise((resolve) => server.close(resolve))),
    );
  }
}

/**
 * Request headers left out of the comparison: none of them is chosen by the
 * client (the socket's, and the page's own Referer is the same anyway).
 * Everything else must match, name and value: Accept, Cache-Control, Pragma,
 * Last-Event-ID, Origin, the Sec-Fetch-* metadata, Accept-Encoding…
 */
const UNCOMPARED_HEADERS = new Set(['host', 'connection']);

interface Logs {
  native: string[];
  ssehub: string[];
}

void describe(
  "ssehub's EventSource in Chromium next to the native one",
  { skip: browserSkip(), timeout: 120_000 },
  () => {
    let browser: Browser | undefined;
    let server: PageServer | undefined;
    let page: Page | undefined;
    let hub: TestHub | undefined;
    const pageErrors: string[] = [];
    let runs = 0;

    before(async () => {
      server = new PageServer(bundleClient());
      await server.start();
      browser = await launchBrowser();
      const opened = await openPage(browser);
      page = opened.page;
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.pageOrigin}/`);
      await page.waitForFunction(
        () => (window as unknown as { bundleLoaded?: boolean }).bundleLoaded,
      );
    });

    after(async () => {
      if (page !== undefined)
        await screenshot(page, 'client-native-and-ssehub').catch(() => undefined);
      await browser?.close();
      await server?.close();
      await hub?.close();
    });

    for (const c of CASES) {
      const { stream } = c;
      void it(c.rule, async () => {
        assert.ok(server && page);
        const run = `r${String(++runs)}`;
        const logs: Logs = await page.evaluate(
          ([url, options]) =>
            (
              window as unknown as {
                compare: (url: string, options: object) => Promise<Logs>;
              }
            ).compare(url, options),
          [`/s/${stream}?run=${run}`, { types: c.types ?? [], closeOn: c.closeOn }] as const,
        );
        const { pageOrigin, otherOrigin } = server;
        const shown = (log: string[]): string[] =>
          log.map((line) =>
            line
              .replaceAll(pageOrigin, '<page>')
              .replaceAll(otherOrigin, '<other>')
              .replace(`run=${run}`, 'run=<run>'),
          );
        const native = shown(logs.native);
        const ours = shown(logs.ssehub);
        // Both as the spec says (so that equal is not equally wrong)…
        assert.deepEqual(native, [init(stream), ...c.expected], 'the native EventSource');
        if (c.departure === undefined) {
          // …and the claim: the same observable behaviour as the browser's own.
          assert.deepEqual(ours, native, 'ssehub and the native EventSource saw the same');
        } else {
          assert.deepEqual(ours, [init(stream), ...c.departure], 'ssehub (a known departure)');
        }

        // The requests: the same ones, with the same headers, as expected.
        const nativeRequests = server.requests(run, 'native');
        const all = server.requests(run, 'ssehub');
        const ourRequests = all.filter((r) => r.method !== 'OPTIONS');
        const preflights = all.filter((r) => r.method === 'OPTIONS');
        assert.equal(preflights.length, c.preflights ?? 0, "ssehub's CORS preflights");
        for (const preflight of preflights) {
          assert.equal(preflight.headers['access-control-request-headers'], 'last-event-id');
          // It comes right before the request it clears.
          const next = all[all.indexOf(preflight) + 1];
          assert.equal(next?.method, 'GET');
          assert.equal(next.lastEventId !== null, true);
        }
        const summary = (list: Seen[]): [string, string, string | null][] =>
          list.map((r) => [r.method, r.stream, r.lastEventId]);
        assert.deepEqual(
          summary(nativeRequests),
          c.requests.map(([s, id]) => ['GET', s, id]),
          'the native requests',
        );
        assert.deepEqual(summary(ourRequests), summary(nativeRequests), "ssehub's requests");
        for (const [i, request] of ourRequests.entries()) {
          const pick = (r: Seen | undefined): Record<string, unknown> =>
            Object.fromEntries(
              Object.entries(r?.headers ?? {}).filter(([name]) => !UNCOMPARED_HEADERS.has(name)),
            );
          assert.deepEqual(
            pick(request),
            pick(nativeRequests[i]),
            `request ${String(i + 1)}: the same headers`,
          );
          assert.equal(request.headers.accept, 'text/event-stream');
        }
        if (c.retry !== undefined) {
          // Each reconnection came after the reconnection time the stream set.
          for (const list of [nativeRequests, ourRequests]) {
            for (let i = 1; i < list.length; i++) {
              const previous = list[i - 1];
              const current = list[i];
              if (previous?.endedAt === undefined || current === undefined) continue;
              if (previous.redirected === true) continue; // following a redirect
              const waited = current.at - previous.endedAt;
              assert.ok(
                waited >= c.retry - 20 && waited < 2500,
                `reconnected after ${String(waited)} ms (retry: ${String(c.retry)})`,
              );
            }
          }
        }
        // Requests the clients aborted or finished are all closed.
        await within(
          Promise.all([...nativeRequests, ...ourRequests].map((r) => r.closed)),
          'every request to be closed',
        );
        assert.deepEqual(pageErrors, []);
      });
    }

    void it('both receive the same updates from a hub on another origin (CORS), and both resume after a drop', async () => {
      assert.ok(server && page);
      const tab = page;
      hub = await startHub({ anonymous: true, corsOrigins: [server.pageOrigin] });
      const hubOrigin = hub.base;
      const sockets = new Set<Socket>();
      hub.hubServer.listener.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      const topic = 'https://example.com/books/1';
      const url = new URL(hub.hubUrl);
      url.searchParams.append('topic', topic);
      await page.evaluate(
        ([href, types]) => {
          (
            window as unknown as { subscribeBoth: (u: string, t: readonly string[]) => void }
          ).subscribeBoth(href, types);
        },
        [url.href, ['price']] as const,
      );
      await page.waitForFunction(() => (window as unknown as { hubOpens: number }).hubOpens === 2);

      const publisher = await token({ publish: ['*'] });
      type Fields = Record<string, string>;
      const expected: object[] = [];
      const send = async (fields: Fields): Promise<void> => {
        const response = await publish(hub?.hubUrl ?? '', { topic, ...fields }, publisher);
        assert.equal(response.status, 200, response.text);
        expected.push({
          type: fields.type ?? 'message',
          data: fields.data ?? '',
          lastEventId: response.text,
          origin: hubOrigin,
        });
      };
      const logs = (): Promise<{ native: object[]; ssehub: object[] }> =>
        tab.evaluate(
          () => (window as unknown as { hubLogs: { native: object[]; ssehub: object[] } }).hubLogs,
        );
      const lengths = async (count: number): Promise<void> => {
        await tab.waitForFunction((n) => {
          const { native, ssehub } = (
            window as unknown as { hubLogs: { native: object[]; ssehub: object[] } }
          ).hubLogs;
          return native.length >= n && ssehub.length >= n;
        }, count);
      };

      // The first update sets a short reconnection time for what follows.
      const before: Fields[] = [
        { data: 'first', retry: '200' },
        { data: 'line 1\nline 2\n\nline 4', type: 'price' },
        { data: '' },
        { data: 'é ✓ 🎉', id: 'custom-1' },
        { data: 'data: injected?\n\nid: nope\nevent: evil' },
        { data: '{"price": 42}', type: 'price' },
        { data: 'seven' },
        // A non-ASCII id: the reconnection sends it as UTF-8 (across origins
        // ssehub's fetch has it preflighted; the hub allows Last-Event-ID).
        { data: 'last before the drop', id: 'évènement-✓-8' },
      ];
      for (const fields of before) await send(fields);
      await lengths(before.length);

      // The hub drops every connection (its history stays): both reconnect
      // with Last-Event-ID and get what was published meanwhile.
      for (const socket of sockets) socket.destroy();
      expected.push({ error: 0 });
      await lengths(before.length + 1);
      for (let i = 1; i <= 5; i++) await send({ data: `after the drop ${String(i)}` });
      await lengths(expected.length);
      await page.waitForFunction(() => (window as unknown as { hubOpens: number }).hubOpens === 4);

      const { native, ssehub } = await logs();
      assert.deepEqual(native, expected, 'the native EventSource');
      assert.deepEqual(ssehub, native, 'ssehub and the native EventSource received the same');
      assert.deepEqual(pageErrors, []);
    });
  },
);
