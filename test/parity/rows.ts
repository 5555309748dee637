/**
 * The parity table: subscribe requests every entry point must answer alike.
 * Each row names what it checks and the answer expected (the status, or
 * `retry` for a transient refusal); the suite also checks that all entry
 * points agree on the headers that matter, the message and the events.
 */
import { SignJWT } from 'jose';
import type { PublishInput } from '../../src/hub/types.js';
import type { EntryPoint } from './entry-points.js';
import { HUB_PATH, SECRET } from './entry-points.js';
import type { ParityRequest } from './raw-client.js';

/** What every hub holds before the rows run (same ids everywhere). */
export const SEED: readonly PublishInput[] = [
  // History-only topics (no row publishes to them), so replays are the same
  // whatever ran before.
  { topics: 'https://e.com/h', id: 'a1', data: 'one' },
  { topics: 'https://e.com/h', id: 'é1', data: 'two' },
  { topics: 'https://e.com/h', id: '€3', data: 'three' },
  { topics: 'https://e.com/hp', id: 'secret1', data: 'hidden', private: true },
  { topics: 'https://e.com/h', id: 'a4', data: 'four' },
];

export interface Row {
  readonly name: string;
  readonly request: ParityRequest;
  /** The expected status, or `retry` (dropped: EventSource reconnects). */
  readonly expect: number | 'retry';
  /** Events to wait for on a stream. @default 0 */
  readonly events?: number;
  /** Published (same ids on every hub) once the stream is open. */
  readonly publish?: readonly PublishInput[];
  /**
   * Compare only the status across entry points: the request is refused by
   * the HTTP parser of the framework before ssehub sees it (node answers a
   * bare 400, Fastify a JSON one).
   */
  readonly statusOnly?: boolean;
  /** Why HTTP/2 cannot carry this request (HTTP/1.1-only framing). */
  readonly http1Only?: string;
  /** Before the row (on each entry point), e.g. take the transport down. */
  readonly before?: (entry: EntryPoint) => void;
  /** After the row. */
  readonly after?: (entry: EntryPoint) => void;
}

const enc = encodeURIComponent;
const q = (...topics: string[]): string =>
  `${HUB_PATH}?${topics.map((t) => `topic=${enc(t)}`).join('&')}`;
/** A header value as bytes: the UTF-8 bytes of `text`, as Latin-1 code points. */
const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const host: [string, string] = ['Host', 'hub.test'];
const h = (...headers: [string, string][]): [string, string][] => [host, ...headers];

async function sign(claims: Record<string, unknown>, key = SECRET, expSeconds = 3600) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
    .sign(new TextEncoder().encode(key));
}

function noneToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** Builds the rows (tokens are signed now, valid for an hour). */
export async function parityRows(): Promise<Row[]> {
  const subscriber = await sign({
    mercure: { subscribe: ['https://e.com/p', 'https://e.com/hp'] },
  });
  const otherKey = await sign(
    { mercure: { subscribe: ['*'] } },
    'another-key-that-is-long-enough-for-hs256!',
  );
  const expired = await sign({ mercure: { subscribe: ['*'] } }, SECRET, -60);
  const live = (id: string, topic = 'https://e.com/a', extra: Partial<PublishInput> = {}) => ({
    topics: topic,
    id,
    data: `live ${id}`,
    ...extra,
  });
  let n = 0;
  const next = (): string => `live${++n}`;
  const rows: Row[] = [
    // Good requests.
    {
      name: 'one topic, live update',
      request: { target: q('https://e.com/a'), headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    {
      name: 'two topics',
      request: { target: q('https://e.com/a', 'https://e.com/b'), headers: h() },
      expect: 200,
      events: 2,
      publish: [live(next(), 'https://e.com/b'), live(next())],
    },
    {
      name: 'a URI template selector',
      request: { target: q('https://e.com/{x}'), headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/zz')],
    },
    {
      name: 'the * selector',
      request: { target: q('*'), headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next(), 'anything')],
    },
    {
      name: 'a percent-encoded non-ASCII topic',
      request: { target: q('https://e.com/é'), headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/é')],
    },
    {
      name: 'non-ASCII bytes in an unrelated header',
      request: { target: q('https://e.com/a'), headers: h(['X-Note', utf8Bytes('café')]) },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    {
      name: 'HEAD-less GET with an Accept header',
      request: { target: q('https://e.com/a'), headers: h(['Accept', 'text/event-stream']) },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    // Resuming.
    {
      name: 'resume after an ASCII id (header)',
      request: { target: q('https://e.com/h'), headers: h(['Last-Event-ID', 'a1']) },
      expect: 200,
      events: 3,
    },
    {
      name: 'resume after a non-ASCII id (header, UTF-8 bytes)',
      request: { target: q('https://e.com/h'), headers: h(['Last-Event-ID', utf8Bytes('é1')]) },
      expect: 200,
      events: 2,
    },
    {
      name: 'resume after a non-ASCII id (lastEventID query)',
      request: { target: `${q('https://e.com/h')}&lastEventID=${enc('€3')}`, headers: h() },
      expect: 200,
      events: 1,
    },
    {
      name: 'resume with the legacy Last-Event-ID query parameter',
      request: { target: `${q('https://e.com/h')}&Last-Event-ID=a1`, headers: h() },
      expect: 200,
      events: 3,
    },
    {
      name: 'the header wins over the query',
      request: {
        target: `${q('https://e.com/h')}&lastEventID=a1`,
        headers: h(['Last-Event-ID', '€3'].map(utf8Bytes) as [string, string]),
      },
      expect: 200,
      events: 1,
    },
    {
      name: 'an unknown id: earliest, nothing replayed',
      request: { target: q('https://e.com/a'), headers: h(['Last-Event-ID', 'nope']) },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    {
      name: 'earliest: the whole history',
      request: { target: q('https://e.com/h'), headers: h(['Last-Event-ID', 'earliest']) },
      expect: 200,
      events: 4,
    },
    {
      name: 'an empty Last-Event-ID: no header back',
      request: { target: q('https://e.com/a'), headers: h(['Last-Event-ID', '']) },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    {
      name: 'an id with a control character (query): unknown, never a 500',
      request: { target: `${q('https://e.com/a')}&lastEventID=%01x`, headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    {
      name: 'an anonymous resume after a private id: answered like an unknown id',
      request: { target: q('https://e.com/a'), headers: h(['Last-Event-ID', 'secret1']) },
      expect: 200,
      events: 1,
      publish: [live(next())],
    },
    // Bad selectors.
    { name: 'no topic', request: { target: HUB_PATH, headers: h() }, expect: 400 },
    {
      name: 'an empty topic',
      request: { target: `${HUB_PATH}?topic=`, headers: h() },
      expect: 400,
    },
    {
      name: 'too many topics',
      request: { target: q('a', 'b', 'c', 'd'), headers: h() },
      expect: 400,
    },
    {
      name: 'a malformed template (matches its own text only)',
      request: { target: q('https://e.com/{'), headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/{')],
    },
    // Tokens.
    {
      name: 'a subscriber token: its private update arrives',
      request: {
        target: q('https://e.com/p'),
        headers: h(['Authorization', `Bearer ${subscriber}`]),
      },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/p', { private: true })],
    },
    {
      name: 'anonymous: a private update does not arrive',
      request: { target: q('https://e.com/p'), headers: h() },
      expect: 200,
      events: 1,
      publish: [
        live(next(), 'https://e.com/p', { private: true }),
        live(next(), 'https://e.com/p'),
      ],
    },
    {
      name: 'a token in the authorization query parameter',
      request: { target: `${q('https://e.com/p')}&authorization=${subscriber}`, headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/p', { private: true })],
    },
    {
      name: 'a token in the mercureAuthorization cookie',
      request: {
        target: q('https://e.com/p'),
        headers: h(['Cookie', `mercureAuthorization=${subscriber}`]),
      },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/p', { private: true })],
    },
    {
      name: 'a subscriber token resuming after a private id',
      request: {
        target: q('https://e.com/hp'),
        headers: h(['Authorization', `Bearer ${subscriber}`], ['Last-Event-ID', 'secret1']),
      },
      expect: 200,
      events: 1,
      publish: [live(next(), 'https://e.com/hp')],
    },
    {
      name: 'a token signed with another key',
      request: {
        target: q('https://e.com/a'),
        headers: h(['Authorization', `Bearer ${otherKey}`]),
      },
      expect: 401,
    },
    {
      name: 'an expired token',
      request: { target: q('https://e.com/a'), headers: h(['Authorization', `Bearer ${expired}`]) },
      expect: 401,
    },
    {
      name: 'alg none',
      request: {
        target: q('https://e.com/a'),
        headers: h(['Authorization', `Bearer ${noneToken({ mercure: { subscribe: ['*'] } })}`]),
      },
      expect: 401,
    },
    {
      name: 'Authorization that is not Bearer (RFC 6750 invalid_request)',
      request: {
        target: q('https://e.com/a'),
        headers: h(['Authorization', 'Basic dXNlcjpwYXNz']),
      },
      expect: 400,
    },
    {
      name: 'an empty authorization query parameter (RFC 6750 invalid_request)',
      request: { target: `${q('https://e.com/a')}&authorization=`, headers: h() },
      expect: 400,
    },
    {
      name: 'a malformed token',
      request: { target: q('https://e.com/a'), headers: h(['Authorization', 'Bearer not.a.jwt']) },
      expect: 401,
    },
    // Request heads (HTTP/1.1 framing).
    {
      name: 'a control byte in a header value',
      request: { target: q('https://e.com/a'), headers: h(['X-Bad', 'a\x01b']) },
      expect: 400,
      statusOnly: true,
      http1Only: 'HTTP/2 clients cannot send a control byte in a field value',
    },
    {
      name: 'two Host headers',
      request: { target: q('https://e.com/a'), headers: h(['Host', 'other.test']) },
      expect: 400,
      http1Only: 'HTTP/2 has one :authority',
    },
    {
      name: 'an absolute-form target',
      request: { target: `http://hub.test${q('https://e.com/a')}`, headers: h() },
      expect: 200,
      events: 1,
      publish: [live(next())],
      http1Only: 'HTTP/2 carries :scheme/:authority/:path',
    },
    // Transient refusals.
    {
      name: 'transport down, resuming: dropped so EventSource retries',
      request: { target: q('https://e.com/a'), headers: h(['Last-Event-ID', 'a1']) },
      expect: 'retry',
      before: (entry) => (entry.transport.down = true),
      after: (entry) => (entry.transport.down = false),
    },
    {
      name: 'transport down, not resuming: live stream opens',
      request: { target: q('https://e.com/a'), headers: h() },
      expect: 200,
      before: (entry) => (entry.transport.down = true),
      after: (entry) => (entry.transport.down = false),
    },
  ];
  return rows;
}

/** The last row: the hub closing (run after every other row). */
export const CLOSING_ROW: Row = {
  name: 'hub closed: dropped so EventSource retries',
  request: { target: q('https://e.com/a'), headers: h() },
  expect: 'retry',
  before: (entry) => void entry.hub.close(),
};
