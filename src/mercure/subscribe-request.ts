/**
 * What a subscribe request asks for, read once for every entry point
 * (embedded `serveHub*`, the standalone server through node:http, its front
 * door, HTTP/2): the topic selectors and the last event ID.
 *
 * [spec] Subscription: `topic` query parameters (repeatable) are the
 * selectors. [spec] Reconciliation: the `Last-Event-ID` header, else the
 * `lastEventID` query parameter ("If both … are present, the HTTP header MUST
 * take precedence"); the legacy `Last-Event-ID` query parameter is read too.
 * The header's bytes are UTF-8 (WHATWG HTML: the user agent sends the last
 * event ID string "encoded as UTF-8"); they are decoded here, once.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#subscription
 */
import { decodeHeaderValue } from '../response/last-event-id.js';
import { splitTarget } from '../response/request-target.js';

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
const LEGACY_LAST_EVENT_ID_PARAM = 'Last-Event-ID';

/** What a subscribe request asks for. */
export interface SubscribeRequest {
  /** The `topic` parameters, as given (the hub checks them). */
  readonly topics: readonly string[];
  /** The last event ID (decoded), `undefined` when none or empty. */
  readonly lastEventId: string | undefined;
  /** The request's query, for the other parameters (`authorization`, …). */
  readonly query: URLSearchParams;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** Reads a subscribe request. Never throws (the hub checks the topics). */
export function readSubscribeRequest(view: RequestView): SubscribeRequest {
  const { query } = splitTarget(view.url);
  const header = nonEmpty(view.header('last-event-id'));
  const lastEventId =
    header === undefined
      ? (nonEmpty(query.get(LAST_EVENT_ID_PARAM)) ??
        nonEmpty(query.get(LEGACY_LAST_EVENT_ID_PARAM)))
      : decodeHeaderValue(header);
  return { topics: query.getAll(TOPIC_PARAM), lastEventId, query };
}
