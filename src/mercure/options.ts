/**
 * Options of the Mercure endpoint ({@link createMercureHandler}), with their
 * defaults and checks. Option names follow the Mercure hub's configuration
 * (`publisher_jwt`, `subscriber_jwt`, `anonymous`, `cors_origins`,
 * `publish_origins`, `cookie_name`, `heartbeat`) in camelCase.
 *
 * Size: one declaration per option with its default and doc (the public
 * API's reference), then their checks; splitting would scatter one table.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/docs/hub/config.md
 */
import type { Logger } from 'pino';
import { SseError } from '../protocol/sse-error.js';
import { ACCESS_TOKEN_COOKIE } from './access-token-source.js';
import { DEFAULT_COOKIE_NAME } from './authorize.js';
import { resourceMetadataUrl } from './bearer-challenge.js';
import type { CorsPolicy } from './cors.js';
import {
  DEFAULT_JWT_ALG,
  importVerifyKey,
  isJwtAlgorithm,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtKey,
  type JwtKeyInput,
} from './jwt-key.js';

/** The dialects of the Mercure protocol a hub can speak (`protocol` option). */
export const MERCURE_PROTOCOLS = ['both', '1.0', '0.x'] as const;
export type MercureProtocol = (typeof MERCURE_PROTOCOLS)[number];

/** Default of {@link MercureHandlerOptions.maxDataBytes}: 1 MiB. */
export const DEFAULT_MAX_DATA_BYTES = 1024 * 1024;
/** Default of {@link MercureHandlerOptions.maxTopics}. */
export const DEFAULT_MAX_TOPICS = 100;
/** Default of {@link MercureHandlerOptions.requestTimeout}: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
/** Default of {@link MercureHandlerOptions.path}. */
export const DEFAULT_HUB_PATH = '/.well-known/mercure';

/** Options of the Mercure endpoint. */
export interface MercureHandlerOptions {
  /**
   * Key verifying both publisher and subscriber tokens, unless
   * {@link publisherJwtKey} / {@link subscriberJwtKey} override it. For
   * `HS*`, the shared secret; for `RS*`/`PS*`/`ES*`, a PEM public key.
   *
   * @default undefined
   */
  jwtKey?: JwtKeyInput | undefined;
  /**
   * Key verifying publisher tokens. Publishing needs one (from here or
   * {@link jwtKey}): without it, every `POST` is refused with 401.
   *
   * @default jwtKey
   */
  publisherJwtKey?: JwtKeyInput | undefined;
  /**
   * Key verifying subscriber tokens. Without one (here or {@link jwtKey}),
   * subscribers cannot authenticate: {@link anonymous} must then be true.
   *
   * @default jwtKey
   */
  subscriberJwtKey?: JwtKeyInput | undefined;
  /** Algorithm of both keys (the only one accepted). @default 'HS256' */
  jwtAlg?: JwtAlgorithm | undefined;
  /** @default jwtAlg */
  publisherJwtAlg?: JwtAlgorithm | undefined;
  /** @default jwtAlg */
  subscriberJwtAlg?: JwtAlgorithm | undefined;
  /**
   * Let subscribers without a token in: they receive public updates only.
   * A subscriber that presents an invalid token is refused either way.
   *
   * @default false
   */
  anonymous?: boolean | undefined;
  /**
   * Browser origins allowed to call the hub cross-origin
   * (`['https://app.example']`), and/or `'*'` for any origin. Empty: no CORS
   * headers.
   *
   * Only origins listed by name get credentials (the cookie, `withCredentials`):
   * `'*'` is answered with `Access-Control-Allow-Origin: *` and no
   * `Access-Control-Allow-Credentials`, so browsers refuse credentialed
   * requests from unlisted sites (anonymous subscriptions and `Authorization`
   * headers still work). `['*', 'https://app.example']` allows any origin
   * without credentials and that one with them.
   *
   * @default []
   */
  corsOrigins?: readonly string[] | '*' | undefined;
  /**
   * Allow credentials (the cookie) on cross-origin requests from the origins
   * listed in `corsOrigins` by name (the origin is echoed, never `*`). Never
   * applies to `'*'`.
   *
   * @default true
   */
  corsCredentials?: boolean | undefined;
  /**
   * Origins from which a `POST` may be authorized by the cookie (CSRF
   * protection); `'*'` allows any. Publishing with the `Authorization` header
   * or the `authorization` query parameter is not affected.
   *
   * @default []
   */
  publishOrigins?: readonly string[] | '*' | undefined;
  /**
   * Which dialects of the Mercure protocol the endpoint speaks: `both` (the
   * default: pre-1.0 and 1.0 clients side by side, on one hub), `1.0` (the
   * standards-track draft only), `0.x` (pre-1.0 only). See the README's
   * "Two dialects, one hub".
   *
   * @default 'both'
   */
  protocol?: MercureProtocol | undefined;
  /**
   * Issuers whose Mercure 1.0 access tokens (RFC 9068, `typ: at+jwt`) are
   * accepted: each token's `iss` must equal one of them, and its signature
   * is checked with the configured publisher (or subscriber) key. Without
   * any, 1.0 tokens are refused.
   *
   * @default []
   */
  issuers?: readonly string[] | undefined;
  /**
   * The hub's resource identifier: a 1.0 token's `aud` must contain it, and
   * the protected resource metadata names it. Unset: derived from the URL
   * the client contacted (origin + hub path), as the Mercure hub does; set it
   * in production, so the audience does not depend on the request's `Host`.
   *
   * @default undefined (derived per request)
   */
  resourceIdentifier?: string | undefined;
  /**
   * Name of the authorization cookie. In `both` mode, `mercureAuthorization`
   * (the pre-1.0 name) is read too, after it.
   *
   * @default '__Secure-mercure_access_token' ('mercureAuthorization' in `0.x` mode)
   */
  cookieName?: string | undefined;
  /**
   * Seconds of clock skew tolerated when checking `exp` and `nbf`.
   *
   * @default 0
   */
  clockTolerance?: number | undefined;
  /**
   * Most UTF-8 bytes of an update's `data`; more is refused with 413.
   *
   * @default 1048576 (1 MiB)
   */
  maxDataBytes?: number | undefined;
  /**
   * Most bytes of a publish request body; more is refused with 413 before
   * it is read. Percent-encoding can triple the size of `data`, hence the
   * default.
   *
   * @default 3 * maxDataBytes + 65536
   */
  maxBodyBytes?: number | undefined;
  /**
   * Milliseconds a publish request body may take to arrive, from the moment
   * the hub starts reading it; a body not complete by then is refused with
   * 408 (the connection closes) and nothing is published. `0`: no limit.
   *
   * @default 30000
   */
  requestTimeout?: number | undefined;
  /**
   * Most topics in one update (`topic` fields) or one subscription (`topic`
   * query parameters); more is refused with 400.
   *
   * @default 100
   */
  maxTopics?: number | undefined;
  /**
   * Heartbeat interval of subscriber streams in ms (an idle stream gets a
   * comment), or `false` for none.
   *
   * @default 15000
   */
  heartbeatInterval?: number | false | undefined;
  /**
   * Most bytes a subscriber may leave unread before it is disconnected as a
   * slow consumer.
   *
   * @default 1048576 (1 MiB; see `SseStreamOptions.maxBufferedBytes`)
   */
  maxBufferedBytes?: number | undefined;
  /** Path of the hub endpoint. @default '/.well-known/mercure' */
  path?: string | undefined;
  /** A pino logger; nothing is logged without one. @default undefined */
  logger?: Logger | undefined;
  /**
   * Called for every request of the endpoint answered with an error
   * (4xx/5xx), with the status and the message sent (metrics, audit).
   *
   * @default undefined
   */
  onError?: ((status: number, message: string) => void) | undefined;
}

/** Options checked, keys imported, defaults applied. */
export interface ResolvedMercureOptions {
  readonly publisherKey: JwtKey | undefined;
  readonly subscriberKey: JwtKey | undefined;
  readonly anonymous: boolean;
  readonly cors: CorsPolicy;
  readonly publishOrigins: readonly string[] | '*';
  readonly cookieName: string;
  /** The pre-1.0 cookie, also read in `both` mode. */
  readonly legacyCookieName: string | undefined;
  readonly protocol: MercureProtocol;
  readonly issuers: readonly string[];
  readonly resourceIdentifier: string | undefined;
  readonly clockTolerance: number;
  readonly maxDataBytes: number;
  readonly maxBodyBytes: number;
  readonly requestTimeout: number;
  readonly maxTopics: number;
  readonly heartbeatInterval: number | false;
  readonly maxBufferedBytes: number | undefined;
  readonly path: string;
  readonly logger: Logger | undefined;
  readonly onError: ((status: number, message: string) => void) | undefined;
}

function invalid(option: string, problem: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', `"${option}" ${problem}`, { field: option });
}

/** A value as shown in an error message. */
function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : typeof value === 'number'
      ? String(value)
      : typeof value;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(option, `must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

function originList(value: unknown, option: string): readonly string[] | '*' {
  if (value === undefined) return [];
  if (value === '*') return '*';
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalid(option, 'must be "*" or an array of origins');
  }
  const list = value as string[];
  if (list.includes('*')) return '*';
  for (const origin of list) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw invalid(option, `has an invalid origin "${origin}" (expected scheme://host[:port])`);
    }
    if (parsed.origin !== origin) {
      throw invalid(
        option,
        `has "${origin}", which is not an origin (did you mean "${parsed.origin}"?)`,
      );
    }
  }
  return list;
}

/**
 * `corsOrigins` as a policy: `*` (alone or in the list) allows any origin
 * without credentials; the origins named alongside keep theirs.
 */
function corsPolicy(value: unknown, credentials: boolean): CorsPolicy {
  if (value === '*') return { origins: [], anyOrigin: true, credentials };
  if (Array.isArray(value) && value.includes('*')) {
    const named = value.filter((origin) => origin !== '*');
    const origins = originList(named, 'corsOrigins');
    return { origins: origins === '*' ? [] : origins, anyOrigin: true, credentials };
  }
  const origins = originList(value, 'corsOrigins');
  return { origins: origins === '*' ? [] : origins, anyOrigin: origins === '*', credentials };
}

function algorithm(value: unknown, option: string, fallback: JwtAlgorithm): JwtAlgorithm {
  if (value === undefined) return fallback;
  if (!isJwtAlgorithm(value)) {
    throw invalid(option, `must be one of ${JWT_ALGORITHMS.join(', ')}, got ${describe(value)}`);
  }
  return value;
}

/**
 * Checks options and imports keys.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function resolveMercureOptions(options: MercureHandlerOptions): ResolvedMercureOptions {
  const jwtAlg = algorithm(options.jwtAlg, 'jwtAlg', DEFAULT_JWT_ALG);
  const publisherAlg = algorithm(options.publisherJwtAlg, 'publisherJwtAlg', jwtAlg);
  const subscriberAlg = algorithm(options.subscriberJwtAlg, 'subscriberJwtAlg', jwtAlg);
  const publisherInput = options.publisherJwtKey ?? options.jwtKey;
  const subscriberInput = options.subscriberJwtKey ?? options.jwtKey;
  const publisherKey =
    publisherInput === undefined
      ? undefined
      : importVerifyKey(
          publisherInput,
          publisherAlg,
          options.publisherJwtKey === undefined ? 'jwtKey' : 'publisherJwtKey',
        );
  const subscriberKey =
    subscriberInput === undefined
      ? undefined
      : importVerifyKey(
          subscriberInput,
          subscriberAlg,
          options.subscriberJwtKey === undefined ? 'jwtKey' : 'subscriberJwtKey',
        );
  const anonymous = options.anonymous ?? false;
  if (typeof anonymous !== 'boolean') throw invalid('anonymous', 'must be a boolean');
  if (subscriberKey === undefined && !anonymous) {
    throw invalid(
      'subscriberJwtKey',
      'is required unless "anonymous" is true (no subscriber could connect)',
    );
  }
  const protocol = options.protocol ?? 'both';
  if (!MERCURE_PROTOCOLS.includes(protocol)) {
    throw invalid('protocol', `must be one of ${MERCURE_PROTOCOLS.join(', ')}`);
  }
  const issuers = options.issuers ?? [];
  if (!Array.isArray(issuers) || !issuers.every((i) => typeof i === 'string' && i !== '')) {
    throw invalid('issuers', 'must be an array of issuer identifiers (URLs)');
  }
  const resourceIdentifier = options.resourceIdentifier;
  if (resourceIdentifier !== undefined) resourceMetadataUrl(resourceIdentifier); // checks it
  const cookieName =
    options.cookieName ?? (protocol === '0.x' ? DEFAULT_COOKIE_NAME : ACCESS_TOKEN_COOKIE);
  if (typeof cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
    throw invalid('cookieName', 'must be a valid cookie name');
  }
  const clockTolerance = options.clockTolerance ?? 0;
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0) || clockTolerance > 3600) {
    throw invalid('clockTolerance', 'must be a number of seconds between 0 and 3600');
  }
  const maxDataBytes = positiveInteger(
    options.maxDataBytes,
    'maxDataBytes',
    DEFAULT_MAX_DATA_BYTES,
  );
  const maxBodyBytes = positiveInteger(
    options.maxBodyBytes,
    'maxBodyBytes',
    3 * maxDataBytes + 65_536,
  );
  const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  if (!Number.isSafeInteger(requestTimeout) || requestTimeout < 0) {
    throw invalid('requestTimeout', 'must be a non-negative integer (ms; 0: no limit)');
  }
  const maxTopics = positiveInteger(options.maxTopics, 'maxTopics', DEFAULT_MAX_TOPICS);
  const heartbeatInterval = options.heartbeatInterval ?? 15_000;
  if (
    heartbeatInterval !== false &&
    !(Number.isSafeInteger(heartbeatInterval) && heartbeatInterval > 0)
  ) {
    throw invalid('heartbeatInterval', 'must be false or a positive integer (ms)');
  }
  const path = options.path ?? DEFAULT_HUB_PATH;
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
    throw invalid('path', 'must be an absolute path without a query ("/.well-known/mercure")');
  }
  const corsCredentials = options.corsCredentials ?? true;
  if (typeof corsCredentials !== 'boolean') throw invalid('corsCredentials', 'must be a boolean');
  return {
    publisherKey,
    subscriberKey,
    anonymous,
    cors: corsPolicy(options.corsOrigins, corsCredentials),
    publishOrigins: originList(options.publishOrigins, 'publishOrigins'),
    cookieName,
    legacyCookieName:
      protocol === 'both' && cookieName !== DEFAULT_COOKIE_NAME ? DEFAULT_COOKIE_NAME : undefined,
    protocol,
    issuers,
    resourceIdentifier,
    clockTolerance,
    maxDataBytes,
    maxBodyBytes,
    requestTimeout,
    maxTopics,
    heartbeatInterval,
    maxBufferedBytes: options.maxBufferedBytes,
    path,
    logger: options.logger,
    onError: options.onError,
  };
}
