/**
 * Fuzz targets: each turns `(rng, context)` into one {@link FuzzCase}, the
 * exact bytes to write on one TCP connection, how to write them, and how many
 * responses the hub owes for them.
 *
 * "Owed" is conservative: a request counts only when it was sent complete and
 * its framing is unambiguous (head terminated, body exactly as declared,
 * under node's 16 KiB head limit, no byte-level damage, no CONNECT/Upgrade,
 * which node's server drops by design when nothing listens for them). Damaged
 * or incomplete input owes nothing; it is still checked for crashes and 5xx.
 */
import { token } from './jwt.js';
import {
  eventId,
  formEncode,
  mutateBytes,
  percentGarbage,
  queryEncode,
  selector,
  shortSelector,
  topic,
  urlPattern,
} from './mutators.js';
import type { Rng } from './rng.js';

export const HUB_PATH = '/.well-known/mercure';
export const APP_ORIGIN = 'https://app.example';

export const TARGETS = ['head', 'subscribe', 'publish', 'selector', 'pipeline', 'partial'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface FuzzCase {
  readonly index: number;
  readonly target: TargetName;
  /** What was done, for the summary and the findings. */
  readonly label: string;
  /** Written in order, `gapMs` apart. */
  readonly chunks: Buffer[];
  readonly gapMs: number;
  /** Responses owed (see the file comment); 0: none owed. */
  readonly owed: number;
  /** The method of each request, in order (a HEAD response has no body). */
  readonly methods: string[];
  /** After the last chunk: wait for the answer, half-close, or reset at once. */
  readonly end: 'wait' | 'half-close' | 'destroy';
  /** Keep an event stream open this long once its head arrived (a resident subscriber). */
  readonly holdMs: number;
}

export interface Context {
  readonly port: number;
}

/** Node's default `maxHeaderSize`: a larger head gets 431 (if the reset does not come first). */
const MAX_HEAD = 16 * 1024;
/** Bodies above this may be cut off by a reset when the hub answers early (413): nothing owed. */
const MAX_OWED_BODY = 60 * 1024;

/** A header "name" that writes its value as the whole line. */
const RAW = '\0raw';

/** One HTTP/1.1 request, before serialisation. */
interface Req {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  body: Buffer | undefined;
  /** Chunked framing instead of Content-Length. */
  chunked: boolean;
  /** Whether the request is still complete and unambiguous (see the file comment). */
  owed: boolean;
  notes: string[];
}

function request(ctx: Context, method: string, target: string): Req {
  return {
    method,
    target,
    version: 'HTTP/1.1',
    headers: [['Host', `127.0.0.1:${String(ctx.port)}`]],
    body: undefined,
    chunked: false,
    owed: true,
    notes: [],
  };
}

function serialize(req: Req, rng: Rng | undefined): Buffer {
  const headers = [...req.headers];
  let body = req.body;
  if (body !== undefined) {
    if (req.chunked) {
      headers.push(['Transfer-Encoding', 'chunked']);
      const parts: Buffer[] = [];
      let at = 0;
      while (at < body.length) {
        const n = Math.min(body.length - at, rng === undefined ? 4096 : rng.range(1, 4096));
        const ext = rng?.chance(0.1) === true ? ';ext=1' : '';
        const size =
          rng?.chance(0.1) === true ? `000${n.toString(16).toUpperCase()}` : n.toString(16);
        parts.push(
          Buffer.from(`${size}${ext}\r\n`),
          body.subarray(at, at + n),
          Buffer.from('\r\n'),
        );
        at += n;
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      body = Buffer.concat(parts);
    } else if (!headers.some(([name]) => name.toLowerCase() === 'content-length')) {
      headers.push(['Content-Length', String(body.length)]);
    }
  }
  const head = `${req.method} ${req.target} ${req.version}`.trimEnd();
  const lines = [
    head,
    ...headers.map(([name, value]) => (name === RAW ? value : `${name}: ${value}`)),
  ];
  const headBytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body === undefined ? headBytes : Buffer.concat([headBytes, body]);
}

/** Whether a serialised request still owes a response. */
function owes(req: Req, bytes: Buffer): boolean {
  if (!req.owed) return false;
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1 || headEnd + 4 > MAX_HEAD) return false;
  return bytes.length - headEnd - 4 <= MAX_OWED_BODY;
}

/**
 * Whether node's parser takes the request without an error: a token method,
 * a target of visible ASCII, header values of visible ASCII, space or tab,
 * the head under the limit. A parse error anywhere in a pipeline makes node
 * drop the connection with the answers of the earlier requests still
 * pending (node's behaviour, not the hub's), so a pipeline owes answers only
 * when every request in it is clean.
 */
function clean(req: Req, bytes: Buffer): boolean {
  if (!owes(req, bytes) || req.version !== 'HTTP/1.1') return false;
  if (!/^[A-Z]+$/.test(req.method) || !/^[\x21-\x7e]+$/.test(req.target)) return false;
  return req.headers.every(
    ([name, value]) => /^[A-Za-z0-9-]+$/.test(name) && /^[\x20-\x7e\t]*$/.test(value),
  );
}

/** A subscribe query string: topics, resume ids, a token, junk parameters. */
async function subscribeQuery(rng: Rng, pathological: boolean): Promise<string> {
  const params: string[] = [];
  const n = rng.chance(0.9) ? rng.range(1, 4) : rng.pick([0, 50, 500, 3000]);
  for (let i = 0; i < n; i++) {
    const name = rng.chance(0.85)
      ? 'topic'
      : rng.pick(['match', 'match_urlpattern', 'topic[]', 'Topic', 'topic ', 'to%70ic']);
    const one = n > 4 ? shortSelector : selector;
    const value = name === 'match_urlpattern' ? urlPattern(rng) : one(rng);
    params.push(`${name}=${queryEncode(rng, pathological ? `${value}${selector(rng)}` : value)}`);
  }
  if (pathological || rng.chance(0.3)) {
    const name = rng.pick(['lastEventID', 'last_event_id', 'lastEventId', 'Last-Event-ID']);
    params.push(`${name}=${queryEncode(rng, pathological ? 'earliest' : eventId(rng))}`);
  }
  if (rng.chance(0.15)) params.push(`authorization=${(await token(rng, 'subscribe')).token}`);
  if (rng.chance(0.1))
    params.push(percentGarbage(rng), `${percentGarbage(rng)}=${percentGarbage(rng)}`);
  if (rng.chance(0.05)) params.push('&&&', '=', 'topic', 'topic=');
  return params.join('&');
}

async function subscribeRequest(rng: Rng, ctx: Context, pathological: boolean): Promise<Req> {
  const query = await subscribeQuery(rng, pathological);
  const req = request(ctx, 'GET', `${HUB_PATH}${query === '' ? '' : `?${query}`}`);
  req.notes.push(`subscribe ${String(query.length)} B query`);
  if (rng.chance(0.8)) req.headers.push(['Accept', 'text/event-stream']);
  if (rng.chance(0.2)) {
    const id = eventId(rng);
    if (/[\r\n\0]/.test(id)) req.owed = false;
    req.headers.push([
      rng.pick(['Last-Event-ID', 'Mercure-Last-Event-ID']),
      id.replace(/\r|\n/g, ''),
    ]);
  }
  const auth = rng.next();
  if (auth < 0.3) {
    const t = await token(rng, 'subscribe');
    req.headers.push(['Authorization', `Bearer ${t.token}`]);
    req.notes.push(`bearer ${t.label}`);
  } else if (auth < 0.4) {
    const t = await token(rng, 'subscribe');
    req.headers.push(['Cookie', `mercureAuthorization=${t.token}`]);
    req.notes.push(`cookie ${t.label}`);
  }
  if (rng.chance(0.2))
    req.headers.push(['Origin', rng.pick([APP_ORIGIN, 'https://evil.example', 'null'])]);
  return req;
}

async function publishRequest(rng: Rng, ctx: Context, pathologicalTopic: boolean): Promise<Req> {
  const fields: string[] = [];
  const topics = rng.chance(0.9) ? rng.range(1, 3) : rng.pick([0, 100, 2000]);
  for (let i = 0; i < topics; i++) {
    const value =
      topics > 3
        ? `https://example.com/books/${String(rng.int(100))}`
        : pathologicalTopic || rng.chance(0.3)
          ? topic(rng)
          : `https://example.com/books/${String(rng.int(100))}`;
    fields.push(`topic=${formEncode(rng, value)}`);
  }
  // Over the 1 MiB data limit now and then (413), mostly small.
  const dataSize = rng.chance(0.03)
    ? 1024 * 1024 + 1
    : rng.pick([0, 5, 100, 2000, rng.size(60_000)]);
  if (rng.chance(0.9)) {
    const alphabet = rng.chance(0.8) ? 'abc xyz\n{}"' : '\r\n\0\u00e9\u2028 data: id: event:';
    fields.push(`data=${formEncode(rng, rng.string(dataSize, alphabet))}`);
  }
  if (rng.chance(0.4)) fields.push(`id=${formEncode(rng, eventId(rng))}`);
  if (rng.chance(0.3))
    fields.push(
      `type=${formEncode(rng, rng.pick(['price', 'a\nb', 'x'.repeat(5000), '', 'message']))}`,
    );
  if (rng.chance(0.2))
    fields.push(
      `retry=${formEncode(rng, rng.pick(['1000', '-1', '99999999999999999999', 'x', '', '1e3']))}`,
    );
  if (rng.chance(0.3)) fields.push(`private=${rng.pick(['on', 'true', '', 'off', '0'])}`);
  if (rng.chance(0.05)) fields.push(percentGarbage(rng), '&&', '=', 'topic');
  const body = Buffer.from(fields.join('&'), 'utf8');

  const t = await token(rng, 'publish');
  const where = rng.next();
  let target = HUB_PATH;
  const req = request(ctx, 'POST', target);
  if (where < 0.7) req.headers.push(['Authorization', `Bearer ${t.token}`]);
  else if (where < 0.8) target = `${HUB_PATH}?authorization=${t.token}`;
  else if (where < 0.95) {
    req.headers.push(['Cookie', `mercureAuthorization=${t.token}`]);
    if (rng.chance(0.7))
      req.headers.push(['Origin', rng.pick([APP_ORIGIN, 'https://evil.example'])]);
  }
  req.target = target;
  req.notes.push(`publish ${String(topics)} topics, ${String(body.length)} B, ${t.label}`);
  const contentType = rng.pick([
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=latin1',
    'Application/X-WWW-Form-Urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/json',
    '',
  ]);
  if (contentType !== '' || rng.chance(0.5)) req.headers.push(['Content-Type', contentType]);
  req.body = body;
  req.chunked = rng.chance(0.15);
  return req;
}

const OTHER_PATHS = [
  '/',
  '/healthz',
  '/metrics',
  '/app.js',
  '/style.css',
  '/favicon.svg',
  '/dev-tokens.json',
  `${HUB_PATH}/`,
  `${HUB_PATH}/subscriptions`,
  `/${HUB_PATH}`,
  '/.well-known/%6dercure',
  '/.well-known/mercure;x',
  '/..%2f..%2fetc/passwd',
  '/%00',
  '/?',
  '*',
  '//',
];

async function headRequest(rng: Rng, ctx: Context): Promise<Req> {
  const r = rng.next();
  let req: Req;
  if (r < 0.35) req = await subscribeRequest(rng, ctx, false);
  else if (r < 0.5) req = await publishRequest(rng, ctx, false);
  else {
    const method = rng.pick([
      'GET',
      'GET',
      'HEAD',
      'OPTIONS',
      'OPTIONS',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'TRACE',
      'get',
      'M-SEARCH',
      'PROPFIND',
      'X'.repeat(rng.pick([10, 100, 5000])),
    ]);
    const target = rng.chance(0.8)
      ? rng.pick([...OTHER_PATHS, HUB_PATH, `${HUB_PATH}?topic=*`])
      : rng.pick([
          `http://127.0.0.1:${String(ctx.port)}${HUB_PATH}?topic=*`,
          `http://evil.example${HUB_PATH}?topic=*`,
          `https://127.0.0.1${HUB_PATH}`,
          `http://[::1]:${String(ctx.port)}/healthz`,
          `http://127.0.0.1:${String(ctx.port)}`,
          'http://',
          'http:',
        ]);
    req = request(ctx, method, target);
    req.notes.push(`${method.slice(0, 12)} ${target.slice(0, 60)}`);
    if (method === 'OPTIONS' && rng.chance(0.8)) {
      req.headers.push(['Origin', rng.pick([APP_ORIGIN, 'https://evil.example', 'null', '*'])]);
      req.headers.push(['Access-Control-Request-Method', rng.pick(['GET', 'POST', 'PUT', ''])]);
      req.headers.push([
        'Access-Control-Request-Headers',
        'authorization, last-event-id, content-type',
      ]);
    }
  }
  const mutations = rng.range(1, 3);
  for (let i = 0; i < mutations; i++) mutateHead(rng, req);
  return req;
}

/** One structural mutation of a request head (see the file comment for "owed"). */
function mutateHead(rng: Rng, req: Req): void {
  const note = (text: string, keepsOwed = true): void => {
    req.notes.push(text);
    if (!keepsOwed) req.owed = false;
  };
  switch (rng.int(22)) {
    case 0:
      req.headers.push(['Host', rng.pick(['evil.example', '127.0.0.1', '', 'a b'])]);
      note('duplicate Host');
      return;
    case 1:
      req.headers = req.headers.filter(([name]) => name !== 'Host');
      note('no Host');
      return;
    case 2:
      req.headers[0] = [
        'Host',
        rng.pick(['x@evil', '127.0.0.1:99999', '[::1', 'ä', ' ', 'a'.repeat(3000)]),
      ];
      note('odd Host');
      return;
    case 3:
      req.headers.push(['X-Fold', `a\r\n${rng.pick([' ', '\t'])}continued`]);
      note('obs-fold');
      return;
    case 4: {
      const size = rng.pick([4000, 8000, 17_000, 70_000]);
      req.headers.push([
        rng.pick(['X-Big', 'Cookie', 'Authorization', 'Last-Event-ID']),
        'v'.repeat(size),
      ]);
      note(`${String(size)} B header value`);
      return;
    }
    case 5: {
      const n = rng.pick([50, 500, 3000]);
      for (let i = 0; i < n; i++) req.headers.push([`X-H${String(i)}`, String(i)]);
      note(`${String(n)} headers`);
      return;
    }
    case 6: {
      const bad = rng.pick(['\u0000', '\u0001', '\u007f', '\u001b[31m', '\u00ff', '\u0008']);
      req.headers.push(['X-Ctl', `a${bad}b`]);
      note(`control byte ${JSON.stringify(bad)} in a value`);
      return;
    }
    case 7:
      req.headers.push([
        rng.pick(['X Space', 'X:Colon', 'Host ', ' Host', 'X\u0000', 'é', '']),
        'v',
      ]);
      note('bad header name');
      return;
    case 8:
      req.headers.push([RAW, rng.pick(['no-colon-line', ' leading-space: x', ':', 'a:b:c'])]);
      note('odd header line');
      return;
    case 9:
      req.version = rng.pick([
        'HTTP/1.0',
        'HTTP/1.2',
        'HTTP/2.0',
        'HTTP/1.1 ',
        'http/1.1',
        '',
        'HTTP/9.9',
        'HTTP/1.01',
        'HTTP/1',
      ]);
      note(`version ${JSON.stringify(req.version)}`);
      return;
    case 10:
      req.method = `${req.method}${rng.pick(['  ', '\t', ' / '])}`;
      note('odd request-line spacing');
      return;
    case 11:
      req.target = `${req.target}${rng.pick(['\u00e9', ' x', '\u0001', '#frag', '\\', '%', '\u00ff\u00fe'])}`;
      note('odd byte in the target');
      return;
    case 12:
      req.body ??= Buffer.from('topic=x');
      req.headers.push(['Content-Length', String(req.body.length)]);
      req.chunked = true;
      note('Transfer-Encoding and Content-Length');
      return;
    case 13:
      req.headers.push(['Content-Length', '0'], ['Content-Length', '5']);
      note('two Content-Length');
      return;
    case 14:
      req.headers.push([
        'Transfer-Encoding',
        rng.pick(['gzip', 'chunked, identity', ' chunked', 'xchunked', 'chunked']),
      ]);
      note('odd Transfer-Encoding', false);
      return;
    case 15:
      req.headers.push(['Content-Length', rng.pick(['999999999', '18446744073709551616'])]);
      note('Content-Length beyond the body', false);
      return;
    case 16:
      req.headers.push(['Content-Length', rng.pick(['-1', '1e3', '0x10', ' 5', '+5'])]);
      note('malformed Content-Length');
      return;
    case 17:
      req.headers.push(['Expect', rng.pick(['100-continue', 'junk'])]);
      note('Expect');
      return;
    case 18:
      req.headers.push(['Upgrade', rng.pick(['websocket', 'h2c', 'x'])], ['Connection', 'Upgrade']);
      note('Upgrade (node drops it without an upgrade listener)', false);
      return;
    case 19:
      req.headers.push(['Connection', rng.pick(['close', 'keep-alive', 'close, close', 'x'])]);
      note('Connection');
      return;
    case 20:
      req.method = 'CONNECT';
      req.target = rng.pick(['127.0.0.1:80', 'evil.example:443', HUB_PATH]);
      note('CONNECT (node drops it without a connect listener)', false);
      return;
    default:
      req.headers.push([
        'Cookie',
        `mercureAuthorization=${rng.pick(['', 'x', '"quoted"', 'a;b', '%zz'])}`,
      ]);
      note('odd cookie');
      return;
  }
}

function finish(
  index: number,
  target: TargetName,
  rng: Rng,
  reqs: Req[],
  options: { byteMutation?: number; holdMs?: number } = {},
): FuzzCase {
  const parts = reqs.map((req) => serialize(req, rng));
  let owed = 0;
  const pipelined = reqs.length > 1;
  for (let i = 0; i < reqs.length; i++) {
    const req = reqs[i];
    const part = parts[i];
    if (req === undefined || part === undefined) break;
    if (pipelined ? !clean(req, part) : !owes(req, part)) {
      if (pipelined) owed = 0; // see clean()
      break;
    }
    owed += 1;
    // After Connection: close or an HTTP/1.0 request the server closes: nothing more owed.
    const closes = req.headers.some(([n, v]) => n === 'Connection' && v.includes('close'));
    if (closes || req.version === 'HTTP/1.0') break;
  }
  let bytes: Buffer = Buffer.concat(parts);
  const labels = reqs.map((req) => req.notes.join(', '));
  if (options.byteMutation !== undefined && rng.chance(options.byteMutation)) {
    const mutated = mutateBytes(rng, bytes);
    bytes = mutated.bytes;
    labels.push(`bytes: ${mutated.label}`);
    owed = 0;
  }
  return {
    index,
    target,
    label: labels.join(' | '),
    chunks: [bytes],
    gapMs: 0,
    owed,
    methods: reqs.map((req) => req.method.trim().toUpperCase()),
    end: 'wait',
    holdMs: options.holdMs ?? 0,
  };
}

/** Case `index` of `target`, a pure function of the rng it is given. */
export async function generate(
  target: TargetName,
  index: number,
  rng: Rng,
  ctx: Context,
): Promise<FuzzCase> {
  switch (target) {
    case 'head':
      return finish(index, target, rng, [await headRequest(rng, ctx)], { byteMutation: 0.25 });
    case 'subscribe':
      return finish(index, target, rng, [await subscribeRequest(rng, ctx, false)], {
        byteMutation: 0.1,
        holdMs: rng.chance(0.25) ? rng.range(1000, 10_000) : 0,
      });
    case 'publish':
      return finish(index, target, rng, [await publishRequest(rng, ctx, false)], {
        byteMutation: 0.1,
      });
    case 'selector':
      // Matching runs when a selector meets a topic: resident subscribers with
      // hostile selectors (replaying history from `earliest`), and publishes
      // of hostile topics that every resident selector is tested against.
      return rng.chance(0.5)
        ? finish(index, target, rng, [await subscribeRequest(rng, ctx, true)], {
            holdMs: rng.chance(0.6) ? rng.range(2000, 15_000) : 0,
          })
        : finish(index, target, rng, [await publishRequest(rng, ctx, true)]);
    case 'pipeline': {
      const n = rng.range(2, 5);
      const reqs: Req[] = [];
      for (let i = 0; i < n; i++) {
        const kind = rng.int(3);
        reqs.push(
          kind === 0
            ? await subscribeRequest(rng, ctx, false)
            : kind === 1
              ? await publishRequest(rng, ctx, false)
              : request(ctx, rng.pick(['GET', 'HEAD', 'OPTIONS']), rng.pick(OTHER_PATHS)),
        );
      }
      const c = finish(index, target, rng, reqs, { byteMutation: 0.1 });
      // Sometimes split the pipeline at random points (several packets).
      if (!rng.chance(0.4)) return c;
      const whole = Buffer.concat(c.chunks);
      const cuts = Array.from({ length: rng.range(1, 4) }, () => rng.int(whole.length)).sort(
        (a, b) => a - b,
      );
      const chunks: Buffer[] = [];
      let at = 0;
      for (const cut of [...cuts, whole.length]) {
        if (cut > at) chunks.push(whole.subarray(at, cut));
        at = cut;
      }
      return {
        ...c,
        chunks,
        gapMs: rng.range(0, 30),
        label: `${c.label} | split ${String(chunks.length)}`,
      };
    }
    case 'partial': {
      const kind = rng.int(3);
      const req =
        kind === 0
          ? await subscribeRequest(rng, ctx, false)
          : kind === 1
            ? await publishRequest(rng, ctx, false)
            : await headRequest(rng, ctx);
      const c = finish(index, target, rng, [req]);
      const whole = Buffer.concat(c.chunks);
      if (rng.chance(0.3) && whole.length <= 400 && c.owed > 0) {
        // Slow but complete: one small chunk at a time (the first packet is not the whole head).
        const size = rng.range(1, 16);
        const chunks: Buffer[] = [];
        for (let at = 0; at < whole.length; at += size) chunks.push(whole.subarray(at, at + size));
        return {
          ...c,
          chunks,
          gapMs: rng.range(1, 10),
          label: `${c.label} | trickled in ${String(size)} B chunks`,
        };
      }
      const cut = rng.int(Math.max(1, whole.length));
      const end = rng.pick<FuzzCase['end']>(['wait', 'half-close', 'destroy']);
      return {
        ...c,
        chunks: [whole.subarray(0, cut)],
        owed: 0,
        end,
        holdMs: 0,
        label: `${c.label} | cut at ${String(cut)}/${String(whole.length)}, then ${end}`,
      };
    }
  }
}
