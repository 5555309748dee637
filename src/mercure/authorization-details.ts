/**
 * The `authorization_details` claim (RFC 9396) of a Mercure 1.0 access token:
 * which actions the bearer may perform on which topics.
 *
 * Parsing rules, from [spec] "Authorization Details" and "Topic Matcher List":
 * - the claim, when present, is a JSON array of objects each with a string
 *   `type` (RFC 9396 §2); anything else refuses the token;
 * - entries whose `type` is not `https://mercure.rocks/authorization-detail`
 *   (compared byte by byte) are skipped: RFC 9396 lets other APIs put their
 *   own details in the same token, with shapes of their own;
 * - a Mercure detail MUST have a non-empty `actions` array of strings
 *   (`publish`, `subscribe`; any other string is ignored and grants nothing;
 *   a non-string entry refuses the token), a non-empty `topics` array of
 *   `{ "match": string, "match_type"?: string }` objects (`match_type`
 *   case-sensitive, default `exact`, an unsupported one refuses the token,
 *   as does a pattern that does not compile), and MAY have a `payload`
 *   JSON object;
 * - a token without any Mercure detail is valid and grants nothing.
 *
 * Choices where the draft leaves room (written down here and in the digest):
 * - `payload` must be a JSON object when present ([spec] "(a JSON object)");
 *   `null`, arrays and scalars refuse the token. (The Go hub accepts any
 *   JSON value.)
 * - an empty `match` refuses the token (it can match no topic, and a topic
 *   cannot be empty), as in the Go hub.
 * - members other than `type`, `actions`, `topics`, `payload` are ignored
 *   (RFC 9396 §2 common fields such as `locations` have no Mercure meaning).
 *
 * Limits ([spec] "Hubs SHOULD apply implementation-defined maximums to the
 * number of Mercure authorization details, to the number of entries in each
 * `topics` array, and to the length of individual patterns"; exceeding one
 * refuses the token): {@link AuthorizationDetailsOptions}. The topic limit is
 * summed over all Mercure details, so it bounds the URL Pattern compilations
 * one token can cause whatever the split; checked before anything compiles.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#authorization-details
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
import {
  compileTopicMatcher,
  isMatcherType,
  type CompiledTopicMatcher,
  type TopicMatcherOptions,
} from '../hub/matcher-spec.js';
import { SseError } from '../protocol/sse-error.js';

/** The RFC 9396 `type` of a Mercure authorization detail. */
export const MERCURE_AUTHORIZATION_DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';

/** The actions this hub recognizes. */
export type MercureAction = 'publish' | 'subscribe';

/** Default of {@link AuthorizationDetailsOptions.maxDetails}. */
export const DEFAULT_MAX_AUTHORIZATION_DETAILS = 100;
/** Default of {@link AuthorizationDetailsOptions.maxTopics}. */
export const DEFAULT_MAX_AUTHORIZATION_TOPICS = 100;

/** Options of {@link parseAuthorizationDetails}. */
export interface AuthorizationDetailsOptions extends TopicMatcherOptions {
  /** Most Mercure details in one token (other types are not counted). @default 100 */
  maxDetails?: number | undefined;
  /** Most topic matchers in one token, summed over its Mercure details. @default 100 */
  maxTopics?: number | undefined;
}

/** One validated Mercure authorization detail, in token order. */
export interface MercureAuthorizationDetail {
  readonly publish: boolean;
  readonly subscribe: boolean;
  /** The detail's topic matchers, compiled (`.spec` holds type and value). */
  readonly topics: readonly CompiledTopicMatcher[];
  /** The detail's `payload` object, when it has one. */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
}

/** Why a token was refused: for logs, never for the client (see access-token.ts). */
export type AccessTokenRejectionReason =
  | 'malformed'
  | 'too-large'
  | 'typ'
  | 'alg'
  | 'issuer'
  | 'signature'
  | 'audience'
  | 'exp-missing'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'claims'
  | 'authorization-details';

/**
 * The internal reason of a refused token. It travels as the `cause` of the
 * `SseError` the client-facing layer sees, so logs can say why while the
 * response only says `invalid_token` ([spec] "Error Responses").
 */
export class AccessTokenRejection extends Error {
  override readonly name = 'AccessTokenRejection';
  readonly reason: AccessTokenRejectionReason;

  constructor(reason: AccessTokenRejectionReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

function refuse(message: string, cause?: unknown): AccessTokenRejection {
  return new AccessTokenRejection(
    'authorization-details',
    `authorization_details: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and validates the `authorization_details` claim (`undefined` when
 * the token has none). All or nothing: one bad Mercure detail refuses the
 * whole token ([spec] "MUST NOT act on the basis of the remaining entries").
 *
 * @throws {AccessTokenRejection} reason `authorization-details`.
 */
export function parseAuthorizationDetails(
  claim: unknown,
  options: AuthorizationDetailsOptions = {},
): MercureAuthorizationDetail[] {
  const maxDetails = options.maxDetails ?? DEFAULT_MAX_AUTHORIZATION_DETAILS;
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_AUTHORIZATION_TOPICS;
  if (claim === undefined) return [];
  if (!Array.isArray(claim)) throw refuse('the claim must be an array');
  // [spec] Bound the work before compiling anything: count first.
  const mercure: Record<string, unknown>[] = [];
  let topicCount = 0;
  for (const entry of claim as unknown[]) {
    if (!isPlainObject(entry) || typeof entry.type !== 'string') {
      throw refuse('every entry must be an object with a string "type"');
    }
    if (entry.type !== MERCURE_AUTHORIZATION_DETAIL_TYPE) continue;
    mercure.push(entry);
    if (mercure.length > maxDetails) throw refuse(`more than ${maxDetails} Mercure details`);
    if (Array.isArray(entry.topics)) topicCount += entry.topics.length;
    if (topicCount > maxTopics) throw refuse(`more than ${maxTopics} topic matchers`);
  }
  return mercure.map((entry, index) => parseDetail(entry, index, options));
}

function parseDetail(
  entry: Record<string, unknown>,
  index: number,
  options: AuthorizationDetailsOptions,
): MercureAuthorizationDetail {
  const where = `Mercure detail #${index}`;
  const { actions, topics, payload } = entry;
  if (!Array.isArray(actions) || actions.length === 0) {
    throw refuse(`${where}: "actions" must be a non-empty array`);
  }
  let publish = false;
  let subscribe = false;
  for (const action of actions as unknown[]) {
    if (typeof action !== 'string') throw refuse(`${where}: "actions" must hold strings`);
    // [spec] Unrecognized actions are ignored: they grant nothing.
    if (action === 'publish') publish = true;
    else if (action === 'subscribe') subscribe = true;
  }
  if (!Array.isArray(topics) || topics.length === 0) {
    throw refuse(`${where}: "topics" must be a non-empty array`);
  }
  const compiled = (topics as unknown[]).map((topic, t) => {
    if (!isPlainObject(topic)) throw refuse(`${where}, topic #${t}: must be an object`);
    const { match, match_type: matchType = 'exact' } = topic;
    if (typeof match !== 'string') {
      throw refuse(`${where}, topic #${t}: "match" must be a string`);
    }
    if (!isMatcherType(matchType)) {
      // [spec] An unsupported match_type refuses the token (the grant cannot
      // be evaluated; skipping it would change what the token allows).
      throw refuse(`${where}, topic #${t}: unsupported "match_type"`);
    }
    const matcher = compileTopicMatcher({ type: matchType, value: match }, options);
    if (matcher instanceof SseError) {
      throw refuse(`${where}, topic #${t}: ${matcher.message}`, matcher);
    }
    return matcher;
  });
  if (payload !== undefined && !isPlainObject(payload)) {
    throw refuse(`${where}: "payload" must be a JSON object`);
  }
  return { publish, subscribe, topics: compiled, payload };
}

/**
 * Does a detail list grant `action` on `topic`? ([spec] "A token grants an
 * action on a topic when it carries a Mercure authorization detail whose
 * `actions` includes that action and one of whose `topics` matches the topic.")
 */
export function grants(
  details: readonly MercureAuthorizationDetail[],
  action: MercureAction,
  topic: string,
): boolean {
  return details.some((d) => d[action] && d.topics.some((m) => m.test(topic)));
}

/**
 * [spec] "Publishers": the token must grant `publish` on every topic of the
 * update, canonical and alternate alike.
 */
export function grantsPublish(
  details: readonly MercureAuthorizationDetail[],
  topics: readonly string[],
): boolean {
  return topics.length > 0 && topics.every((topic) => grants(details, 'publish', topic));
}

/**
 * [spec] "Subscribers": a private update is delivered when the token grants
 * `subscribe` on at least one of its topics.
 */
export function grantsSubscribe(
  details: readonly MercureAuthorizationDetail[],
  topics: readonly string[],
): boolean {
  return topics.some((topic) => grants(details, 'subscribe', topic));
}

/**
 * [spec] "Payloads": the payload of the first `subscribe` detail one of whose
 * `topics` matches the subscription's own matcher string, read as if it were
 * a topic (`*` matches every subscription). `found` is false when no
 * `subscribe` detail matches; `payload` is then `undefined`.
 */
export function subscriptionPayload(
  details: readonly MercureAuthorizationDetail[],
  subscriptionMatcher: string,
): { found: boolean; payload: Readonly<Record<string, unknown>> | undefined } {
  for (const detail of details) {
    if (!detail.subscribe) continue;
    if (detail.topics.some((m) => m.test(subscriptionMatcher))) {
      return { found: true, payload: detail.payload };
    }
  }
  return { found: false, payload: undefined };
}
