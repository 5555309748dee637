/**
 * Options of {@link createHub}, with their defaults and checks.
 */
import { SseError } from '../protocol/sse-error.js';
import { DEFAULT_HEARTBEAT_INTERVAL } from '../response/options.js';
import type { Transport } from './types.js';

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
   * Heartbeat interval (ms) of its subscribers' streams; `false` for none.
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
   * Longest topic of an update, and longest topic selector of a
   * subscription, in UTF-16 code units: a longer topic is refused
   * (`SSE_ERR_TOPIC_TOO_LONG`, 413), a longer selector too
   * (`SSE_ERR_INVALID_TOPIC`, 400). Bounds the cost of matching and what a
   * refused request can make the hub hold.
   *
   * @default 2048
   */
  maxTopicLength?: number | undefined;
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
   * Generates ids for updates published without one. Must return unique
   * strings without CR, LF or NUL, not starting with `#`.
   *
   * @default () => `urn:uuid:${crypto.randomUUID()}`
   */
  generateId?: (() => string) | undefined;
  /**
   * `retry:` (ms) sent first on every subscriber's stream.
   *
   * @default undefined (none; clients keep their default)
   */
  retry?: number | undefined;
  /**
   * Active subscriptions ([spec] Active Subscriptions): every subscription
   * created or terminated is announced as a private update of type
   * `mercure` on `{hubPath}/subscriptions/{match_type}/{match}/{subscriber}`,
   * and listed (`hub.activeSubscriptions.list()`, served by the subscription
   * API of `ssehub/mercure`). On a transport shared by several processes
   * (Redis), every process lists every process's subscriptions.
   *
   * @default false
   */
  subscriptions?: boolean | SubscriptionsOptions | undefined;
}

/** Options of active subscriptions (see {@link HubOptions.subscriptions}). */
export interface SubscriptionsOptions {
  /** The path of the hub's URL: the prefix of the topics. @default '/.well-known/mercure' */
  hubPath?: string | undefined;
  /**
   * How often a process renews its lease on a shared registry (Redis), in
   * ms: a process that dies is reaped, and its subscriptions announced
   * inactive by a survivor, within 3 × this.
   *
   * @default 1000
   */
  leaseInterval?: number | undefined;
  /** Told when the registry or an announcement failed. @default a no-op */
  onError?: ((error: unknown) => void) | undefined;
}

export const DEFAULT_HUB_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Default of {@link HubOptions.maxTopicLength}. */
export const DEFAULT_MAX_TOPIC_LENGTH = 2048;

/** Options with defaults applied. */
export interface ResolvedHubOptions {
  readonly heartbeatInterval: number | false;
  readonly maxBufferedBytes: number;
  readonly maxTopicsPerSubscription: number;
  readonly maxTopicsPerUpdate: number;
  readonly maxDataBytes: number;
  readonly maxTopicLength: number;
  readonly maxSubscribers: number;
  readonly generateId: () => string;
  readonly retry: number | undefined;
  /** Active subscriptions, when on. */
  readonly subscriptions:
    { hubPath: string; leaseInterval: number; onError: (error: unknown) => void } | undefined;
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
  if ('authorize' in options) {
    // The hub knows no HTTP: request authorization belongs to the entry point.
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      '"authorize" is an option of serveHub() / serveHubFetch() / serveHubFastify() (ssehub/mercure), not of createHub()',
      { field: 'authorize' },
    );
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
    maxTopicLength: positiveInteger(
      'maxTopicLength',
      options.maxTopicLength,
      DEFAULT_MAX_TOPIC_LENGTH,
    ),
    maxSubscribers: positiveInteger('maxSubscribers', options.maxSubscribers, 100_000),
    generateId: options.generateId ?? defaultGenerateId,
    retry: options.retry,
    subscriptions: resolveSubscriptions(options.subscriptions),
  };
}

function resolveSubscriptions(
  value: HubOptions['subscriptions'],
): ResolvedHubOptions['subscriptions'] {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof (value as unknown) !== 'object' || (value as unknown) === null)) {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"subscriptions" must be a boolean or an object', {
      field: 'subscriptions',
    });
  }
  const options = value === true ? {} : value;
  const hubPath = options.hubPath ?? '/.well-known/mercure';
  if (typeof hubPath !== 'string' || !hubPath.startsWith('/')) {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"subscriptions.hubPath" must start with "/"', {
      field: 'subscriptions.hubPath',
    });
  }
  return {
    hubPath,
    leaseInterval: positiveInteger('subscriptions.leaseInterval', options.leaseInterval, 1000),
    onError: options.onError ?? (() => undefined),
  };
}
