/**
 * Options of {@link createHub}, with their defaults and checks.
 */
import { SseError } from '../protocol/sse-error.js';
import { DEFAULT_HEARTBEAT_INTERVAL } from '../server/options.js';
import type { SubscriberClaims, SubscribeInput, Transport } from './types.js';

/**
 * What the `authorize` hook sees of a subscribe request. Framework-neutral:
 * the same shape for node:http, Express, Fastify and Fetch.
 */
export interface SubscribeRequestInfo {
  /** `GET` normally. */
  readonly method: string;
  /** The request target as received (`/.well-known/mercure?topic=…`). */
  readonly url: string;
  /** A request header by (case-insensitive) name, `undefined` when absent. */
  header(name: string): string | undefined;
  /** What the hub parsed from the request: topics and last event ID. */
  readonly input: SubscribeInput;
  /** The runtime's own request object (`IncomingMessage`, `Request`, a Fastify request). */
  readonly raw: unknown;
}

/**
 * Decides what a subscriber may receive. Returns its claims (private topic
 * selectors), or `undefined` for an anonymous subscriber (public updates
 * only), or `null` to refuse the request with 401. Throwing an `SseError`
 * answers with its code's status and message (`SSE_ERR_FORBIDDEN` → 403,
 * `SSE_ERR_UNAUTHORIZED` → 401, …); any other error answers 500 with a
 * generic message (the error itself is not shown to the client) and makes
 * the `serve*()` promise reject with it.
 *
 * Security contract: the hook is the only authorization `serve*()` applies
 * when no `claims` are passed in its options. It must verify credentials
 * itself (the http part plugs its JWT check in here).
 */
export type AuthorizeHook = (
  request: SubscribeRequestInfo,
) => SubscriberClaims | null | undefined | Promise<SubscriberClaims | null | undefined>;

/** Options of {@link createHub}. */
export interface HubOptions {
  /**
   * Where updates travel and history lives. The hub owns it: `hub.close()`
   * closes it.
   *
   * @default createMemoryTransport({ historySize, historyBytes })
   */
  transport?: Transport | undefined;
  /**
   * History length (updates) of the default memory transport; ignored when
   * `transport` is given.
   *
   * @default 1000
   */
  historySize?: number | undefined;
  /**
   * History size (bytes) of the default memory transport; ignored when
   * `transport` is given.
   *
   * @default 16777216 (16 MiB)
   */
  historyBytes?: number | undefined;
  /**
   * Heartbeat interval (ms) of the streams `serve*()` opens; `false` for none.
   * Heartbeats come from the server layer's one shared timer.
   *
   * @default 15000
   */
  heartbeatInterval?: number | false | undefined;
  /**
   * Slow-consumer limit per subscriber, in bytes. For an HTTP subscriber it is
   * both the stream's `maxBufferedBytes` (bytes the socket has not taken) and
   * the bound on frames the hub holds back for it while its socket is busy;
   * past it the stream is closed with reason `'slow-consumer'` (the client
   * reconnects with `Last-Event-ID` and gets what it missed from history).
   * For an in-process subscription, the bytes of undelivered updates it may
   * queue before it ends with `SSE_ERR_SLOW_CONSUMER`.
   *
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number | undefined;
  /**
   * Most topic selectors per subscription (`SSE_ERR_TOO_MANY_TOPICS`, 400).
   *
   * @default 100
   */
  maxTopicsPerSubscription?: number | undefined;
  /**
   * Most topics per update (`SSE_ERR_TOO_MANY_TOPICS`).
   *
   * @default 100
   */
  maxTopicsPerUpdate?: number | undefined;
  /**
   * Largest `data` of an update, in UTF-8 bytes (`SSE_ERR_DATA_TOO_LARGE`).
   *
   * @default 1048576 (1 MiB)
   */
  maxDataBytes?: number | undefined;
  /**
   * Most subscribers (HTTP and in-process) this hub holds at once
   * (`SSE_ERR_TOO_MANY_SUBSCRIBERS`, 503).
   *
   * @default 100000
   */
  maxSubscribers?: number | undefined;
  /**
   * Authorization for `serve*()` requests that carry no `claims` option. See
   * {@link AuthorizeHook}.
   *
   * @default undefined (every subscriber is anonymous: public updates only)
   */
  authorize?: AuthorizeHook | undefined;
  /**
   * Generates ids for updates published without one. Must return unique
   * strings without CR, LF or NUL, not starting with `#`.
   *
   * @default () => `urn:uuid:${crypto.randomUUID()}`
   */
  generateId?: (() => string) | undefined;
  /**
   * `retry:` (ms) sent first on every stream `serve*()` opens.
   *
   * @default undefined (none; clients keep their default)
   */
  retry?: number | undefined;
}

export const DEFAULT_HUB_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Options with defaults applied. */
export interface ResolvedHubOptions {
  readonly heartbeatInterval: number | false;
  readonly maxBufferedBytes: number;
  readonly maxTopicsPerSubscription: number;
  readonly maxTopicsPerUpdate: number;
  readonly maxDataBytes: number;
  readonly maxSubscribers: number;
  readonly authorize: AuthorizeHook | undefined;
  readonly generateId: () => string;
  readonly retry: number | undefined;
}

function defaultGenerateId(): string {
  return `urn:uuid:${globalThis.crypto.randomUUID()}`;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"${name}" must be a positive integer, got ${typeof value === 'number' ? value : typeof value}`,
      { field: name },
    );
  }
  return value;
}

/**
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function resolveHubOptions(options: HubOptions): ResolvedHubOptions {
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"authorize" must be a function', {
      field: 'authorize',
    });
  }
  if (options.generateId !== undefined && typeof options.generateId !== 'function') {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"generateId" must be a function', {
      field: 'generateId',
    });
  }
  const heartbeatInterval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  return {
    heartbeatInterval:
      heartbeatInterval === false
        ? false
        : positiveInteger('heartbeatInterval', heartbeatInterval, DEFAULT_HEARTBEAT_INTERVAL),
    maxBufferedBytes: positiveInteger(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      DEFAULT_HUB_MAX_BUFFERED_BYTES,
    ),
    maxTopicsPerSubscription: positiveInteger(
      'maxTopicsPerSubscription',
      options.maxTopicsPerSubscription,
      100,
    ),
    maxTopicsPerUpdate: positiveInteger('maxTopicsPerUpdate', options.maxTopicsPerUpdate, 100),
    maxDataBytes: positiveInteger('maxDataBytes', options.maxDataBytes, 1024 * 1024),
    maxSubscribers: positiveInteger('maxSubscribers', options.maxSubscribers, 100_000),
    authorize: options.authorize,
    generateId: options.generateId ?? defaultGenerateId,
    retry: options.retry,
  };
}
