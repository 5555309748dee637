/**
 * The subscription API ([spec] Subscription API): the hub's active
 * subscriptions as JSON, under the hub's path:
 *
 * - `{hub}/subscriptions`: every subscription;
 * - `{hub}/subscriptions/{match_type}/{match}`: those of one matcher;
 * - `{hub}/subscriptions/{match_type}/{match}/{subscriber}`: one (404 when
 *   unknown or terminated: terminated subscriptions are not kept).
 *
 * Authorization ([spec] "The topic to authorize is the requested URL in
 * relative form: its absolute path … any query component … is not part of
 * the topic"): the request's token must allow subscribing to private updates
 * of its path, exactly as it would to the subscription events of the same
 * subscriptions: no token → 401, a token that does not cover the path → 403.
 *
 * Every answer carries the reconciliation cursor: `Link: <hub>;
 * rel="mercure"; last-event-id="…"; type="mercure";
 * content-type="application/json"`, read BEFORE the list (see
 * `hub/subscription-registry.ts`): subscribing to the subscription events
 * with `last_event_id` set to it misses no change.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#subscription-api
 */
import { createHash } from 'node:crypto';
import type { Hub } from '../hub/hub.js';
import { LEGACY_MATCH_TYPE } from '../hub/active-subscriptions.js';
import { isMatcherType } from '../hub/matcher-spec.js';
import type { SubscriptionDocument } from '../hub/subscription-registry.js';
import { compileSelector } from '../hub/topic-selector.js';
import { SseError } from '../protocol/sse-error.js';
import { encodeHeaderValue } from '../response/last-event-id.js';
import { splitTarget } from '../response/request-target.js';
import { HttpError } from './refusal.js';
import type { AuthorizeHook } from './subscribe-core.js';
import { hubUrlOf, type RequestView } from './subscribe-request.js';

/** What the API needs. */
export interface SubscriptionApiContext {
  readonly hub: Pick<Hub, 'activeSubscriptions' | 'transport'>;
  /** The hub's path (`/.well-known/mercure`). */
  readonly hubPath: string;
  /** Who the request comes from (the Mercure endpoint's subscriber authorization). */
  readonly authorize: AuthorizeHook;
  /** The refusal for a request without a token (the dialect's 401). */
  readonly tokenRequired: (view: RequestView) => Error;
  /** The refusal for a token that does not cover the path (the dialect's 403). */
  readonly forbidden: (view: RequestView, error: SseError) => unknown;
}

/** An answer to write. */
export interface ApiAnswer {
  readonly status: 200 | 304;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Is `path` the subscription API's (collection, matcher or single)? */
export function isSubscriptionApiPath(path: string, hubPath: string): boolean {
  const prefix = `${hubPath.replace(/\/$/, '')}/subscriptions`;
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The JSON media type of every answer ([spec] "MUST set the Content-Type … to application/json"). */
export const SUBSCRIPTIONS_CONTENT_TYPE = 'application/json';

function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SseError('SSE_ERR_INVALID_FIELD', `"${name}" is not validly percent-encoded`, {
      field: name,
    });
  }
}

/** RFC 8288 quoted-string: `"` and `\` escaped. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** What the path asks for, from its raw (still encoded) segments. */
function readFilter(rest: string): (document: SubscriptionDocument) => boolean {
  if (rest === '') return () => true;
  const segments = rest.slice(1).split('/');
  if (segments.length !== 2 && segments.length !== 3) throw new HttpError(404, 'not found');
  const [rawType = '', rawMatch = '', rawSubscriber] = segments;
  const matchType = decodeSegment(rawType, 'match_type');
  if (!isMatcherType(matchType) && matchType !== LEGACY_MATCH_TYPE) {
    throw new SseError(
      'SSE_ERR_INVALID_FIELD',
      `unknown "match_type" ${JSON.stringify(matchType)}: use "exact", "urlpattern" or "${LEGACY_MATCH_TYPE}"`,
      { field: 'match_type' },
    );
  }
  const match = decodeSegment(rawMatch, 'match');
  const subscriber =
    rawSubscriber === undefined ? undefined : decodeSegment(rawSubscriber, 'subscriber');
  return (d) =>
    d.match_type === matchType &&
    d.match === match &&
    (subscriber === undefined || d.subscriber === subscriber);
}

/**
 * Answers one `GET`/`HEAD` on the API.
 *
 * @throws a refusal: 404 (off, unknown path or subscription), 400 (a
 * malformed segment), 401 / 403, 503 (the store is unreachable).
 */
export async function answerSubscriptionApi(
  view: RequestView,
  context: SubscriptionApiContext,
): Promise<ApiAnswer> {
  const active = context.hub.activeSubscriptions;
  const { path, query } = splitTarget(view.url);
  if (active === undefined || !isSubscriptionApiPath(path, active.hubPath)) {
    throw new HttpError(404, `not found: ${path}`);
  }
  const filter = readFilter(path.slice(active.collectionPath.length));
  const single = path.split('/').length - active.collectionPath.split('/').length === 3;
  // The hub's URL as contacted: the base of the token's URL patterns.
  const hubView: RequestView = {
    ...view,
    url: `${context.hubPath}?${query.toString()}`,
  };
  const claims = await context.authorize({
    ...hubView,
    input: { topics: [path], lastEventId: undefined, query },
  });
  if (claims === null || claims === undefined) throw context.tokenRequired(hubView);
  const allowed = (claims.subscribe ?? []).some((s) => compileSelector(s).match(path));
  if (!allowed) {
    throw context.forbidden(
      hubView,
      new SseError('SSE_ERR_FORBIDDEN', `the token does not allow subscribing to "${path}"`),
    );
  }
  let cursor: string;
  let documents: readonly SubscriptionDocument[];
  try {
    // The cursor first, then the list: see the file comment.
    cursor = (await context.hub.transport.lastEventId()) ?? 'earliest';
    documents = (await active.list()).filter(filter);
  } catch (error) {
    throw new SseError(
      'SSE_ERR_TRANSPORT_UNAVAILABLE',
      'The list of subscriptions is unavailable right now; retry later.',
      { cause: error },
    );
  }
  let body: string;
  if (single) {
    const found = documents[0];
    if (found === undefined) throw new HttpError(404, `no active subscription at ${path}`);
    body = JSON.stringify(found);
  } else {
    body = JSON.stringify({ id: path, type: 'subscriptions', subscriptions: documents });
  }
  const etag = `"${createHash('sha256').update(cursor).update('\n').update(body).digest('base64url')}"`;
  const headers = {
    'content-type': SUBSCRIPTIONS_CONTENT_TYPE,
    link: encodeHeaderValue(
      `<${hubUrlOf(hubView)}>; rel="mercure"; last-event-id=${quoted(cursor)}; type="mercure"; content-type="${SUBSCRIPTIONS_CONTENT_TYPE}"`,
    ),
    etag,
    // [spec] "clients SHOULD validate that a cached response is still fresh".
    'cache-control': 'private, no-cache, must-revalidate',
    vary: 'Authorization, Cookie',
  };
  if (view.header('if-none-match') === etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body };
}
