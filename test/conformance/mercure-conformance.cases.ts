/**
 * Mercure conformance cases, re-expressed as data, and a runner for a live
 * hub: `runConformance(baseUrl, config)`, run by mercure-conformance.test.ts
 * against one `ssehub serve` in `both` mode (and one in `1.0` mode for the
 * cases only that mode answers).
 *
 * Where the cases come from (dunglas/mercure, `conformance-tests/`):
 * - `DELIVERY_CASES_1_0`: every case of `mercure.spec.ts` at tag
 *   v1.0.0-alpha.3 (same file on the default branch), describe block
 *   "Publish update". Upstream runs them with Playwright in Chromium, Firefox
 *   and WebKit: a page at `BASE_URL`'s origin opens an `EventSource` on
 *   `/.well-known/mercure` with one `match` (exact) or `match_urlpattern`
 *   (selectors with `/:name`) parameter per selector, waits for `onopen`,
 *   POSTs the update (form: `topic`…, `id`, `data`, `private=on` when
 *   private) with an HS256 `at+jwt` token, then waits 2 s for a `message`
 *   event whose `lastEventId` and `data` equal what was posted. Received must
 *   equal `mustBeReceived`; when received, the POST answered 200, a
 *   `text/plain` content type, and (when `CUSTOM_ID` is set) the posted id.
 * - `DELIVERY_CASES_0_X`: the same file at tag v0.24.2: `topic` parameters
 *   (URI templates instead of URL patterns), a `mercure`-claim token, one more
 *   case ("multiple topics": delivery through an alternate topic).
 * - `PROTOCOL_CASES_1_0`: not upstream. HTTP-level checks derived from the
 *   1.0 draft's MUSTs that the upstream suite does not exercise (each names
 *   its spec section); `mode` says which `--protocol` setting they apply to.
 *
 * The random strings upstream draws once per worker are `$0`…`$5` here
 * (fresh per run), and `$new` is a fresh string per use. The update id is
 * `id-` + the JSON of the topic list and the data is `data for\n\n        ` +
 * the case name, as upstream. Private cases reuse the ids of public ones (so
 * do repeated runs): a hub must accept a publisher id already in its history.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createParser, type ParsedEvent } from '../../src/protocol/index.js';

/** One upstream delivery case: subscribe, publish, received or not. */
export interface DeliveryCase {
  readonly suite: 'v1.0.0-alpha.3' | 'v0.24.2';
  /** The upstream test title. */
  readonly name: string;
  /** Topics of the update (`$0`…`$5`, `$new` are replaced per run). */
  readonly updateTopics: readonly string[];
  /** Subscribe query parameters, in order. */
  readonly selectors: readonly (readonly ['topic' | 'match' | 'match_urlpattern', string])[];
  readonly private?: true;
  readonly mustBeReceived: boolean;
}

const R = ['$0', '$1', '$2', '$3', '$4', '$5'] as const;

type CaseData = Omit<DeliveryCase, 'suite'>;

/** conformance-tests/mercure.spec.ts @ v1.0.0-alpha.3, in upstream order. */
const ALPHA_3: readonly CaseData[] = [
  { name: 'raw string', updateTopics: [R[0]], selectors: [['match', R[0]]], mustBeReceived: true },
  {
    name: 'multiple topic selectors',
    updateTopics: [R[2]],
    selectors: [
      ['match', 'foo'],
      ['match', R[2]],
    ],
    mustBeReceived: true,
  },
  {
    name: 'URI',
    updateTopics: [`https://example.net/foo/${R[3]}`],
    selectors: [['match', `https://example.net/foo/${R[3]}`]],
    mustBeReceived: true,
  },
  {
    name: 'URL pattern',
    updateTopics: [`https://example.net/foo/${R[4]}`],
    selectors: [['match_urlpattern', 'https://example.net/foo/:random']],
    mustBeReceived: true,
  },
  {
    name: 'nonmatching raw string',
    updateTopics: ['will-not-match'],
    selectors: [['match', 'another-name']],
    mustBeReceived: false,
  },
  {
    name: 'nonmatching URI',
    updateTopics: ['https://example.net/foo/will-not-match'],
    selectors: [['match', 'https://example.net/foo/another-name']],
    mustBeReceived: false,
  },
  {
    name: 'nonmatching URL pattern',
    updateTopics: ['https://example.net/foo/will-not-match'],
    selectors: [['match_urlpattern', 'https://example.net/bar/:var']],
    mustBeReceived: false,
  },
  {
    name: 'private raw string',
    updateTopics: [R[0]],
    selectors: [['match', R[0]]],
    private: true,
    mustBeReceived: false,
  },
  {
    name: 'private URI',
    updateTopics: [`https://example.net/foo/${R[3]}`],
    selectors: [['match', `https://example.net/foo/${R[3]}`]],
    private: true,
    mustBeReceived: false,
  },
  {
    name: 'private URL pattern',
    updateTopics: [`https://example.net/foo/${R[4]}`],
    selectors: [['match_urlpattern', 'https://example.net/foo/:random']],
    private: true,
    mustBeReceived: false,
  },
];
export const DELIVERY_CASES_1_0: readonly DeliveryCase[] = ALPHA_3.map((c) => ({
  ...c,
  suite: 'v1.0.0-alpha.3',
}));

/** conformance-tests/mercure.spec.ts @ v0.24.2, in upstream order. */
const V0_24_2: readonly CaseData[] = [
  { name: 'raw string', updateTopics: [R[0]], selectors: [['topic', R[0]]], mustBeReceived: true },
  {
    name: 'multiple topics',
    updateTopics: ['$new', R[1]],
    selectors: [['topic', R[1]]],
    mustBeReceived: true,
  },
  {
    name: 'multiple topic selectors',
    updateTopics: [R[2]],
    selectors: [
      ['topic', 'foo'],
      ['topic', R[2]],
    ],
    mustBeReceived: true,
  },
  {
    name: 'URI',
    updateTopics: [`https://example.net/foo/${R[3]}`],
    selectors: [['topic', `https://example.net/foo/${R[3]}`]],
    mustBeReceived: true,
  },
  {
    name: 'URI template',
    updateTopics: [`https://example.net/foo/${R[4]}`],
    selectors: [['topic', 'https://example.net/foo/{random}']],
    mustBeReceived: true,
  },
  {
    // Upstream's topic really ends with a stray "}".
    name: 'nonmatching raw string',
    updateTopics: ['will-not-match}'],
    selectors: [['topic', 'another-name']],
    mustBeReceived: false,
  },
  {
    name: 'nonmatching URI',
    updateTopics: ['https://example.net/foo/will-not-match}'],
    selectors: [['topic', 'https://example.net/foo/another-name']],
    mustBeReceived: false,
  },
  {
    name: 'nonmatching URI template',
    updateTopics: ['https://example.net/foo/will-not-match}'],
    selectors: [['topic', 'https://example.net/bar/{var}']],
    mustBeReceived: false,
  },
  {
    name: 'private raw string',
    updateTopics: [R[0]],
    selectors: [['topic', R[0]]],
    private: true,
    mustBeReceived: false,
  },
  {
    name: 'private URI',
    updateTopics: [`https://example.net/foo/${R[3]}`],
    selectors: [['topic', `https://example.net/foo/${R[3]}`]],
    private: true,
    mustBeReceived: false,
  },
  {
    name: 'private URI template',
    updateTopics: [`https://example.net/foo/${R[4]}`],
    selectors: [['topic', 'https://example.net/foo/{random}']],
    private: true,
    mustBeReceived: false,
  },
];
export const DELIVERY_CASES_0_X: readonly DeliveryCase[] = V0_24_2.map((c) => ({
  ...c,
  suite: 'v0.24.2',
}));

/** Which tokens a protocol case presents. */
type TokenRef = 'none' | 'publisher' | 'subscribe-only' | 'garbage';

/** An HTTP-level check derived from the 1.0 draft (not an upstream case). */
export interface ProtocolCase {
  readonly name: string;
  /** The draft section the expectation comes from. */
  readonly section: string;
  /** `--protocol` settings the case applies to. */
  readonly mode: readonly ('1.0' | 'both')[];
  readonly method: 'GET' | 'POST' | 'QUERY';
  /** Path (and query) relative to the origin. */
  readonly path: string;
  readonly token?: TokenRef;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly status: number;
  /** Response headers that must match (lower-case names). */
  readonly expectHeaders?: Readonly<Record<string, RegExp>>;
  /** Response headers that must be absent or not match. */
  readonly rejectHeaders?: Readonly<Record<string, RegExp>>;
  /** The draft says MAY/SHOULD: a failure is reported, not counted. */
  readonly optional?: true;
}

const HUB = '/.well-known/mercure';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CHALLENGE_ANY = /^Bearer\b/i;

export const PROTOCOL_CASES_1_0: readonly ProtocolCase[] = [
  {
    name: 'an unknown match_* parameter is refused',
    section: 'Subscription',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `${HUB}?match_regex=foo`,
    status: 400,
  },
  {
    name: 'matcher parameter names are case-sensitive (Match=…)',
    section: 'Subscription',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `${HUB}?Match=foo`,
    status: 400,
  },
  {
    name: 'a matcher value with a format character (U+202E) is refused',
    section: 'Subscription',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `${HUB}?match=${encodeURIComponent('a\u202eb')}`,
    status: 400,
  },
  {
    name: 'a custom regexp group in match_urlpattern is refused (ssehub: ReDoS guard)',
    section: 'URL Pattern',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `${HUB}?match_urlpattern=${encodeURIComponent('/books/(\\d+)')}`,
    status: 400,
  },
  {
    name: 'Mercure-Last-Event-ID: earliest when last_event_id is unknown',
    section: 'Reconnection, State Reconciliation, and Event Sourcing',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `${HUB}?match=foo&last_event_id=${encodeURIComponent('urn:uuid:does-not-exist')}`,
    status: 200,
    expectHeaders: { 'mercure-last-event-id': /^earliest$/, 'content-type': /^text\/event-stream/ },
  },
  {
    name: 'a token in the URL is refused in 1.0-only mode',
    section: 'Presenting the Access Token',
    mode: ['1.0'],
    method: 'GET',
    path: `${HUB}?match=foo&authorization=a.b.c`,
    status: 400,
    expectHeaders: { 'www-authenticate': /error="invalid_request"/ },
  },
  {
    name: 'QUERY with matchers in the body',
    section: 'Subscription',
    mode: ['1.0', 'both'],
    method: 'QUERY',
    path: HUB,
    headers: FORM,
    body: 'match=foo',
    status: 200,
    expectHeaders: { 'content-type': /^text\/event-stream/ },
    optional: true,
  },
  {
    name: 'publishing without a token: 401, a challenge with no error code',
    section: 'Error Responses',
    mode: ['1.0', 'both'],
    method: 'POST',
    path: HUB,
    headers: FORM,
    body: 'topic=foo&data=x',
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE_ANY },
    rejectHeaders: { 'www-authenticate': /error=/ },
  },
  {
    name: 'the no-token challenge points at the resource metadata',
    section: 'Error Responses',
    mode: ['1.0', 'both'],
    method: 'POST',
    path: HUB,
    headers: FORM,
    body: 'topic=foo&data=x',
    status: 401,
    expectHeaders: {
      'www-authenticate':
        /resource_metadata="[^"]*\/\.well-known\/oauth-protected-resource\/\.well-known\/mercure"/,
    },
    optional: true,
  },
  {
    name: 'an invalid token: 401 invalid_token',
    section: 'Error Responses',
    mode: ['1.0', 'both'],
    method: 'POST',
    path: HUB,
    token: 'garbage',
    headers: FORM,
    body: 'topic=foo&data=x',
    status: 401,
    expectHeaders: { 'www-authenticate': /error="invalid_token"/ },
  },
  {
    name: 'a malformed Authorization header: 400 invalid_request',
    section: 'Error Responses',
    mode: ['1.0'],
    method: 'POST',
    path: HUB,
    headers: { ...FORM, authorization: 'Basic Zm9vOmJhcg==' },
    body: 'topic=foo&data=x',
    status: 400,
    expectHeaders: { 'www-authenticate': /error="invalid_request"/ },
  },
  {
    name: 'a token without a publish grant: 403 insufficient_scope',
    section: 'Publishers',
    mode: ['1.0', 'both'],
    method: 'POST',
    path: HUB,
    token: 'subscribe-only',
    headers: FORM,
    body: 'topic=foo&data=x',
    status: 403,
    expectHeaders: { 'www-authenticate': /error="insufficient_scope"/ },
  },
  ...[
    ['a topic in the reserved hub namespace', 'topic=%2F.well-known%2Fmercure%2Fsubscriptions%2Fx'],
    ['a percent-encoded reserved topic', 'topic=%2F.well-known%2F%256Dercure%2Fx'],
    [
      'a dot-segment reserved topic',
      'topic=https%3A%2F%2Fh.example%2Fa%2F..%2F.well-known%2Fmercure',
    ],
    ['the topic "*"', 'topic=*'],
    ['type=mercure', 'topic=foo&type=mercure'],
    ['id=earliest', 'topic=foo&id=earliest'],
    ['an id starting with #', 'topic=foo&id=%23x'],
    ['a topic with a format character', `topic=${encodeURIComponent('a\u200bb')}`],
    ['a non-digit retry', 'topic=foo&retry=1s'],
  ].map(([what, body]): ProtocolCase => ({
    name: `publishing ${what ?? ''} is refused with 400`,
    section: 'Publication',
    mode: ['1.0', 'both'],
    method: 'POST',
    path: HUB,
    token: 'publisher',
    headers: FORM,
    body: body ?? '',
    status: 400,
  })),
  {
    name: 'protected resource metadata',
    section: 'Protected Resource Metadata',
    mode: ['1.0', 'both'],
    method: 'GET',
    path: `/.well-known/oauth-protected-resource${HUB}`,
    status: 200,
    expectHeaders: { 'content-type': /^application\/json/ },
    optional: true,
  },
];

/** What the runner needs to know about the hub under test. */
export interface ConformanceConfig {
  /** Which upstream suite to run: `'1.0'` (alpha.3 cases), `'0.x'` (v0.24.2 cases). */
  readonly dialect: '1.0' | '0.x';
  /** The hub's `--protocol` setting, for {@link PROTOCOL_CASES_1_0} (`dialect: '1.0'` only). */
  readonly mode?: '1.0' | 'both' | undefined;
  /** A token granting publish and subscribe on everything (upstream's). */
  readonly publisherToken: string;
  /** A valid token granting subscribe only, for the 403 case. Omitted: the case is skipped. */
  readonly subscribeOnlyToken?: string | undefined;
  /** Upstream `CUSTOM_ID`: check that the POST answers the posted id. @default true */
  readonly customId?: boolean | undefined;
  /** How long to wait for an update. @default 2000 (as upstream) */
  readonly receiveTimeoutMs?: number | undefined;
}

/** The outcome of one case. */
export interface ConformanceResult {
  readonly suite: string;
  readonly name: string;
  /** `optional` failures are SHOULD/MAY gaps, not conformance failures. */
  readonly outcome: 'pass' | 'fail' | 'optional-fail' | 'skipped';
  readonly detail?: string;
}

/**
 * Tokens equivalent to upstream's, minted with jose (their claims, not their
 * bytes): the 1.0 one (`typ: at+jwt`, `iss`, `aud`, publish and subscribe on
 * `*`, `exp` 2100-01-01) and the pre-1.0 one (`mercure.publish` and
 * `mercure.subscribe` `["*"]`, no `exp`). Upstream's CI hub uses the secret
 * `!ChangeThisMercureHubJWTSecretKey!`, issuer `https://localhost` and the
 * resource identifier `https://localhost/.well-known/mercure`.
 */
export async function conformanceTokens(options: {
  secret: string;
  issuer: string;
  resourceIdentifier: string;
}): Promise<{ accessToken: string; subscribeOnlyToken: string; legacyToken: string }> {
  const key = new TextEncoder().encode(options.secret);
  const detail = (action: string) => ({
    type: 'https://mercure.rocks/authorization-detail',
    actions: [action],
    topics: [{ match: '*' }],
  });
  const sign = (details: object[]) =>
    new SignJWT({
      aud: options.resourceIdentifier,
      iss: options.issuer,
      authorization_details: details,
      exp: 4102444800,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(key);
  return {
    accessToken: await sign([detail('publish'), detail('subscribe')]),
    subscribeOnlyToken: await sign([detail('subscribe')]),
    legacyToken: await new SignJWT({ mercure: { publish: ['*'], subscribe: ['*'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key),
  };
}

function randomString(): string {
  return randomBytes(20).toString('hex');
}

/** Subscribes, waits for the stream to open, returns a promise of the wanted event. */
async function subscribe(
  url: URL,
  wanted: (event: ParsedEvent) => boolean,
  timeoutMs: number,
): Promise<{ received: Promise<boolean>; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    signal: controller.signal,
    headers: { accept: 'text/event-stream' },
  });
  if (res.status !== 200 || res.body === null) {
    controller.abort();
    throw new Error(`subscribe answered ${res.status}: ${await res.text().catch(() => '')}`);
  }
  const reader = res.body.getReader();
  const received = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
    const parser = createParser({
      onEvent: (event) => {
        if (wanted(event)) {
          clearTimeout(timer);
          resolve(true);
        }
      },
    });
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch {
        // aborted
      }
    })();
  });
  return {
    received,
    close: () => {
      controller.abort();
    },
  };
}

async function runDelivery(
  baseUrl: string,
  c: DeliveryCase,
  config: ConformanceConfig,
  randoms: readonly string[],
): Promise<ConformanceResult> {
  const fill = (s: string): string =>
    s === '$new'
      ? randomString()
      : s.replace(/\$([0-5])/g, (_, i: string) => randoms[Number(i)] ?? '');
  const topics = c.updateTopics.map(fill);
  const id = `id-${JSON.stringify(topics)}`;
  const data = `data for\n\n        ${c.name}`;
  const url = new URL('/.well-known/mercure', baseUrl);
  for (const [param, value] of c.selectors) url.searchParams.append(param, fill(value));
  const form = new URLSearchParams();
  for (const topic of topics) form.append('topic', topic);
  form.set('id', id);
  form.set('data', data);
  if (c.private === true) form.set('private', 'on');

  const result = (outcome: ConformanceResult['outcome'], detail?: string): ConformanceResult => ({
    suite: c.suite,
    name: c.name,
    outcome,
    ...(detail === undefined ? {} : { detail }),
  });
  let sub: Awaited<ReturnType<typeof subscribe>>;
  try {
    sub = await subscribe(
      url,
      (e) => e.type === 'message' && e.lastEventId === id && e.data === data,
      config.receiveTimeoutMs ?? 2000,
    );
  } catch (error) {
    return result('fail', error instanceof Error ? error.message : String(error));
  }
  try {
    const res = await fetch(new URL('/.well-known/mercure', baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${config.publisherToken}` },
      body: form,
    });
    const body = await res.text();
    const received = await sub.received;
    if (received !== c.mustBeReceived) {
      return result('fail', `received: ${String(received)} (POST ${res.status} ${body.trim()})`);
    }
    if (!received) return result('pass');
    if (res.status !== 200) return result('fail', `POST answered ${res.status}`);
    if (!/^text\/plain(?:$|;.*)/.test(res.headers.get('content-type') ?? '')) {
      return result('fail', `POST content-type ${String(res.headers.get('content-type'))}`);
    }
    if ((config.customId ?? true) && body !== id)
      return result('fail', `POST body ${body} !== ${id}`);
    return result('pass');
  } finally {
    sub.close();
  }
}

async function runProtocol(
  baseUrl: string,
  c: ProtocolCase,
  config: ConformanceConfig,
): Promise<ConformanceResult> {
  const base = { suite: 'spec 1.0 (derived)', name: c.name };
  const tokens: Record<TokenRef, string | undefined> = {
    none: undefined,
    publisher: config.publisherToken,
    'subscribe-only': config.subscribeOnlyToken,
    garbage: 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl',
  };
  const token = tokens[c.token ?? 'none'];
  if (c.token === 'subscribe-only' && token === undefined) {
    return { ...base, outcome: 'skipped', detail: 'no subscribeOnlyToken' };
  }
  const headers: Record<string, string> = { ...c.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const init: RequestInit = { method: c.method, headers, signal: controller.signal };
  if (c.body !== undefined) init.body = c.body;
  const failures: string[] = [];
  try {
    const res = await fetch(new URL(c.path, baseUrl), init);
    if (res.status !== c.status) failures.push(`status ${res.status}, expected ${c.status}`);
    for (const [name, pattern] of Object.entries(c.expectHeaders ?? {})) {
      const value = res.headers.get(name);
      if (value === null || !pattern.test(value)) failures.push(`${name}: ${String(value)}`);
    }
    for (const [name, pattern] of Object.entries(c.rejectHeaders ?? {})) {
      const value = res.headers.get(name);
      if (value !== null && pattern.test(value)) failures.push(`${name} must not match: ${value}`);
    }
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  } finally {
    controller.abort();
  }
  if (failures.length === 0) return { ...base, outcome: 'pass' };
  return {
    ...base,
    outcome: c.optional === true ? 'optional-fail' : 'fail',
    detail: failures.join('; '),
  };
}

/**
 * Runs the cases of `config.dialect` against a hub at `baseUrl` (its origin;
 * the hub path is `/.well-known/mercure`), one after the other as upstream
 * does within a browser project. The hub must let anonymous subscribers in
 * (upstream's private cases subscribe without a token).
 */
export async function runConformance(
  baseUrl: string,
  config: ConformanceConfig,
): Promise<ConformanceResult[]> {
  const randoms = Array.from({ length: 6 }, randomString);
  const cases = config.dialect === '1.0' ? DELIVERY_CASES_1_0 : DELIVERY_CASES_0_X;
  const results: ConformanceResult[] = [];
  for (const c of cases) results.push(await runDelivery(baseUrl, c, config, randoms));
  if (config.dialect === '1.0') {
    const mode = config.mode ?? 'both';
    for (const c of PROTOCOL_CASES_1_0) {
      if (!c.mode.includes(mode)) continue;
      results.push(await runProtocol(baseUrl, c, config));
    }
  }
  return results;
}
