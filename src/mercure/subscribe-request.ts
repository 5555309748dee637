/**
 * What a subscribe request asks for, read once for every entry point
 * (embedded `serveHub*`, the standalone server through node:http, its front
 * door, HTTP/2): the topic selectors and the last event ID, in either
 * dialect of the Mercure protocol.
 *
 * Selectors ([spec] Subscription):
 * - pre-1.0: `topic` parameters (repeatable): `*`, exact topics, URI
 *   templates (refused in `1.0` mode);
 * - 1.0: `match` and `match_exact` (exact matchers), `match_urlpattern` (URL
 *   patterns, resolved against the hub's URL), and ssehub's
 *   `match_uritemplate` (RFC 6570, as `topic=`); names are case-sensitive,
 *   and any other name in the reserved `match` namespace is refused with 400
 *   ("…does not correspond to a matcher type supported by the hub … MUST be
 *   rejected with a 400"). In `0.x` mode they are unknown parameters.
 * - `both`: the union.
 * - 1.0 and `both`: the `QUERY` method carries the same parameters in a form
 *   body; the hub takes the union of query and body.
 *
 * Last event ID ([spec] Reconciliation): the `Last-Event-ID` header, else
 * the `last_event_id` query parameter (1.0), else `lastEventID` (pre-1.0;
 * the legacy `Last-Event-ID` parameter too): the header takes precedence.
 * The header's bytes are UTF-8 (WHATWG HTML: the user agent sends the last
 * event ID string "encoded as UTF-8"); they are decoded here, once.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#subscription
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#subscription
 */
import { classifyMatcherParam, compileTopicMatcher } from '../hub/matcher-spec.js';
import { exactSelector, uriTemplateSelector, urlPatternSelector } from '../hub/selector-key.js';
import { SseError } from '../protocol/sse-error.js';
import { decodeHeaderValue } from '../response/last-event-id.js';
import { splitTarget } from '../response/request-target.js';
import type { MercureProtocol } from './options.js';

/** A request as every entry point sees it (framework-neutral). */
export interface RequestView {
  /** `GET` normally. */
  readonly method: string;
  /** The request target as received (`/.well-known/mercure?topic=…`, or a full URL). */
  readonly url: string;
  /**
   * A request header by lower-case name, `undefined` when absent: the first
   * value when repeated, its bytes as Latin-1 code points (as node and
   * Fetch `Headers` give them).
   */
  readonly header: (name: string) => string | undefined;
  /** The runtime's own request object (`IncomingMessage`, `Request`, a Fastify request, a raw head). */
  readonly raw: unknown;
  /**
   * How many `Host` header lines the request had, when the runtime can tell
   * (node joins or drops repeats; its `rawHeaders` still show them).
   *
   * @default 1
   */
  readonly hostLines?: number | undefined;
  /**
   * The origin the client contacted (`https://hub.example`), when the entry
   * point can tell: the base of the hub's URL (URL patterns, the derived
   * resource identifier, the reserved hub namespace).
   *
   * @default `http://` + the `Host` header
   */
  readonly origin?: string | undefined;
  /**
   * The form parameters of the request body, for a subscribe that carries
   * them there (the `QUERY` method, [spec] Subscription).
   */
  readonly body?: URLSearchParams | undefined;
  /**
   * Reads the request body as form fields, at most `maxBytes` (413 past
   * it), for a `QUERY` subscribe. Absent where the entry point cannot read
   * bodies (the front door answers `GET` only).
   */
  readonly readForm?: ((maxBytes: number) => Promise<URLSearchParams>) | undefined;
  /**
   * The hub's path, for a request served on another path of the hub (a
   * flask-sse stream): the hub's URL, hence the derived resource identifier,
   * the challenge's `resource_metadata` and the base of URL patterns, stays
   * the hub's.
   *
   * @default the request's path
   */
  readonly hubPath?: string | undefined;
}

/** The hub's URL as the client contacted it: origin + the request's path. */
export function hubUrlOf(view: RequestView): string {
  const origin = view.origin ?? `http://${view.header('host') ?? 'localhost'}`;
  return `${origin}${view.hubPath ?? splitTarget(view.url).path}`;
}

/**
 * [RFC 9112 §3.2] "A server MUST respond with a 400 (Bad Request) status code
 * to any HTTP/1.1 request message that … contains more than one Host header
 * field line or a Host header field with an invalid field value." A Fetch
 * runtime joins repeated lines with a comma, which no host has.
 *
 * @returns the problem, or `undefined` when the request's Host is fine.
 */
export function hostProblem(view: RequestView): string | undefined {
  if ((view.hostLines ?? 1) > 1 || view.header('host')?.includes(',') === true) {
    return 'more than one Host header';
  }
  return undefined;
}

/** The query parameters of the Mercure subscribe request. */
export const TOPIC_PARAM = 'topic';
export const LAST_EVENT_ID_PARAM = 'lastEventID';
/** [spec] 1.0: "the hub MUST also accept the last event ID in a query parameter named `last_event_id`". */
export const LAST_EVENT_ID_PARAM_1_0 = 'last_event_id';
const LEGACY_LAST_EVENT_ID_PARAM = 'Last-Event-ID';

/** What a subscribe request asks for. */
export interface SubscribeRequest {
  /**
   * The selectors as hub keys (`selector-key.ts`): `topic` parameters as
   * given, `match*` ones as typed keys (the hub checks them all).
   */
  readonly topics: readonly string[];
  /** The last event ID (decoded), `undefined` when none or empty. */
  readonly lastEventId: string | undefined;
  /** The request's query, for the other parameters (`authorization`, …). */
  readonly query: URLSearchParams;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/**
 * Reads a subscribe request in the endpoint's dialect(s).
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC` (400) for a `topic` parameter
 * in `1.0` mode, or a name in the reserved `match` namespace the hub does not
 * support. (The hub checks the selectors themselves.)
 */
export function readSubscribeRequest(
  view: RequestView,
  protocol: MercureProtocol = 'both',
): SubscribeRequest {
  const { query } = splitTarget(view.url);
  const topics: string[] = [];
  let hubUrl: string | undefined;
  // [spec] Subscription: with parameters in the body too, "the hub MUST then
  // take the union of the two", and a subscription for every matcher in it.
  const pairs = view.body === undefined ? query : [...query, ...view.body];
  for (const [name, value] of pairs) {
    if (name === TOPIC_PARAM) {
      if (protocol === '1.0') {
        throw new SseError(
          'SSE_ERR_INVALID_TOPIC',
          '"topic" is not a Mercure 1.0 parameter: use "match" or "match_urlpattern"',
          { field: 'topic' },
        );
      }
      topics.push(value);
      continue;
    }
    if (protocol === '0.x') continue;
    const type = classifyMatcherParam(name);
    if (type === undefined) continue;
    if (type === 'reserved') {
      throw new SseError(
        'SSE_ERR_INVALID_TOPIC',
        `unknown topic matcher parameter ${JSON.stringify(name)}: use "match", "match_exact", "match_urlpattern" or "match_uritemplate"`,
        { field: name },
      );
    }
    if (type === 'uritemplate') {
      // A pre-1.0 selector by another name, but a malformed one is refused here.
      const checked = compileTopicMatcher({ type, value });
      if (checked instanceof SseError) throw checked;
      topics.push(uriTemplateSelector(value));
      continue;
    }
    hubUrl ??= hubUrlOf(view);
    topics.push(type === 'exact' ? exactSelector(value) : urlPatternSelector(value, hubUrl));
  }
  const header = nonEmpty(view.header('last-event-id'));
  let lastEventId: string | undefined;
  if (header !== undefined) lastEventId = decodeHeaderValue(header);
  else {
    // [spec] "`last_event_id` is single-valued: if it appears in both, the hub
    // MUST use the value from the query component".
    if (protocol !== '0.x') {
      lastEventId =
        nonEmpty(query.get(LAST_EVENT_ID_PARAM_1_0)) ??
        nonEmpty(view.body?.get(LAST_EVENT_ID_PARAM_1_0));
    }
    if (protocol !== '1.0') {
      lastEventId ??=
        nonEmpty(query.get(LAST_EVENT_ID_PARAM)) ?? nonEmpty(query.get(LEGACY_LAST_EVENT_ID_PARAM));
    }
  }
  return { topics, lastEventId, query };
}
