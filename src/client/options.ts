/**
 * Options of the client (`new EventSource(url, options)`, `connect(url,
 * options)`): the WHATWG `EventSourceInit` (`withCredentials`) plus this
 * library's extensions, each off or browser-equal by default, so that an
 * `EventSource` built without options behaves as a browser's, with one
 * deliberate difference: {@link EventSourceOptions.maxEventSize} bounds an
 * event at 8 Mi characters (browsers set no limit, and a tab that runs out of
 * memory is one tab; a Node process is every connection it serves).
 */
import { SseError } from '../protocol/sse-error.js';

/** Request headers, or a function (sync or async) called before every connection attempt. */
export type HeadersOption = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** A request body that can be sent again on every reconnection (so not a stream). */
export type BodyOption = Exclude<BodyInit, ReadableStream>;

/**
 * What the client passes to `fetch`. `headers` is a plain object, as the
 * `eventsource` package passes it, so `{ ...init.headers, Authorization }`
 * keeps `Accept` and `Last-Event-ID`: `Accept` and `Last-Event-ID` spelled
 * so, the `headers` option's names in lowercase.
 */
export type FetchInit = RequestInit & { headers: Record<string, string> };

/** The `fetch` the client calls: the global one, or any with the same shape. */
export type FetchLike = (url: string, init: FetchInit) => Promise<Response>;

/**
 * Timers the client schedules with (the reconnection delay, stall detection,
 * the wait for an error body). Inject fake ones to test reconnect timing
 * without sleeping.
 */
export interface ClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Exponential backoff with jitter, an opt-in replacing the fixed reconnection
 * time. The delay before reconnection attempt `n` (1 for the first after a
 * failure; back to 1 once a connection opens) is
 * `min(maxDelay, initialDelay × factor^(n-1))`, minus a random share of up to
 * `jitter` of it, and never less than the last `retry:` the server sent (the
 * server's word is a floor, even above `maxDelay`).
 */
export interface ReconnectOptions {
  /** Delay before the first reconnection attempt after a failure, in ms. @default 1000 */
  initialDelay?: number | undefined;
  /** Longest delay (before the server's `retry:` floor), in ms. @default 30000 */
  maxDelay?: number | undefined;
  /** Growth per failed attempt; 1 keeps the delay constant. @default 2 */
  factor?: number | undefined;
  /**
   * Share of the delay that is random, from 0 (none) to 1 ("full jitter"): the
   * delay is drawn from `[delay × (1 - jitter), delay]`, spreading the
   * reconnections of many clients after a server restart.
   * @default 0.5
   */
  jitter?: number | undefined;
}

/** Options of {@link EventSource}; also accepted by `connect()`. */
export interface EventSourceOptions {
  /**
   * [spec] `EventSourceInit.withCredentials`: the request's credentials mode is
   * `"include"` when true, `"same-origin"` otherwise (cookies on cross-origin
   * requests in browsers; no effect in Node's fetch).
   * @default false
   */
  withCredentials?: boolean | undefined;
  /**
   * Extra request headers, or a function returning them (async allowed),
   * called before every connection attempt so that a token can be refreshed.
   * `Accept: text/event-stream` is added unless given; `Last-Event-ID` is set
   * by the client whenever its last event ID string is not empty. A function
   * that throws counts as a network error (`SSE_ERR_NETWORK`): the client
   * reconnects. In browsers, headers other than `Accept` make a cross-origin
   * request "non-simple" (a CORS preflight), and so does the `Last-Event-ID`
   * of a reconnection (the server must allow it). After a redirect to
   * another origin, reconnections with these headers start again from the
   * first URL, so that they never go straight to the other origin.
   * @default undefined: no extra headers
   */
  headers?: HeadersOption | undefined;
  /**
   * The request method, for servers that stream the response to a `POST`.
   * @default 'GET'
   */
  method?: string | undefined;
  /**
   * The request body, sent again on every reconnection (so not a stream). Not
   * allowed with `GET` or `HEAD`.
   * @default undefined
   */
  body?: BodyOption | undefined;
  /**
   * The `fetch` to use, e.g. one with a proxy agent, a cookie jar or test
   * stubs. It must return a `Response` whose `body` is a web `ReadableStream`;
   * anything else (node-fetch's Node stream body, `body: null`, no `Response`)
   * fails the connection with `SSE_ERR_INVALID_RESPONSE` (no reconnection).
   * A `fetch` that throws or rejects counts as a network error
   * (`SSE_ERR_NETWORK`): the client reconnects. `init.headers` is a plain
   * object ({@link FetchInit}): spread it to add a header.
   * @default globalThis.fetch
   */
  fetch?: FetchLike | undefined;
  /**
   * The last event ID string to start from: sent as `Last-Event-ID` on the
   * first request too, to resume a stream a previous client read.
   * @default '' (none)
   */
  lastEventId?: string | undefined;
  /**
   * The initial reconnection time in ms, until the server sends `retry:`.
   * [spec] "initially an implementation-defined value, probably in the region
   * of a few seconds"; 3000 as in browsers.
   * @default 3000
   */
  reconnectionTime?: number | undefined;
  /**
   * Exponential backoff with jitter instead of the fixed reconnection time
   * (`{}` for the defaults of {@link ReconnectOptions}). Without it the
   * client waits exactly the reconnection time before every attempt, as
   * browsers do; with it, the server's `retry:` is the floor of each delay.
   * @default undefined: the fixed reconnection time (browser behaviour)
   */
  reconnect?: ReconnectOptions | undefined;
  /**
   * How many reconnection attempts in a row may fail (no connection opened in
   * between) before the client gives up: `readyState` CLOSED and an error
   * event with code `SSE_ERR_MAX_RETRIES` (its `cause` is the last error).
   * `0` never reconnects.
   * @default Infinity
   */
  maxRetries?: number | undefined;
  /**
   * Stall detection: when no bytes arrive for this many ms (while connecting
   * or reading the stream), the request is aborted and the client reconnects
   * with an `SSE_ERR_STALLED` error event. Pair it with server heartbeats (a
   * comment every 15 s → e.g. 45000 here). Not counted while `connect()`'s
   * consumer holds the reading back.
   * @default undefined: no stall detection (browser behaviour)
   */
  stallTimeout?: number | undefined;
  /**
   * Closes the client when aborted, as `close()` does (no error event).
   * @default undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * Largest event accepted, in UTF-16 code units (the parser's limit). A
   * larger event, or an endless line, fails the connection with
   * `SSE_ERR_EVENT_TOO_LARGE` without reconnecting (the server would likely
   * send the same event again): memory stays bounded whatever the server sends.
   * The one default that differs from a browser, which has no limit: raise it
   * (up to `Number.MAX_SAFE_INTEGER`, in effect no limit) for streams that
   * carry larger events.
   * @default 8388608 (8 Mi)
   */
  maxEventSize?: number | undefined;
  /**
   * The timers the client uses (reconnection delay, stall detection).
   * @default globalThis.setTimeout / globalThis.clearTimeout
   */
  timers?: ClientTimers | undefined;
  /**
   * Random numbers in [0, 1) for the jitter of {@link reconnect}.
   * @default Math.random
   */
  random?: (() => number) | undefined;
}

/** The options with defaults applied and values checked. */
export interface ResolvedOptions {
  readonly withCredentials: boolean;
  readonly headers: HeadersOption | undefined;
  readonly method: string;
  readonly body: BodyOption | undefined;
  readonly fetch: FetchLike;
  readonly lastEventId: string;
  readonly reconnectionTime: number;
  readonly reconnect: Required<{ [K in keyof ReconnectOptions]: number }> | undefined;
  readonly maxRetries: number;
  readonly stallTimeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly maxEventSize: number | undefined;
  readonly timers: ClientTimers;
  readonly random: () => number;
}

export const DEFAULT_RECONNECTION_TIME = 3000;

const defaultTimers: ClientTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};

function invalid(field: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', `"${field}" ${message}`, { field });
}

function checkNumber(
  field: string,
  value: unknown,
  { min, integer = true, max }: { min: number; integer?: boolean; max?: number },
): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    (integer && value !== Infinity && !Number.isInteger(value)) ||
    value < min ||
    (max !== undefined && value > max)
  ) {
    const range = max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
    return throwInvalid(field, `must be ${integer ? 'an integer' : 'a number'} ${range}`, value);
  }
  return value;
}

function throwInvalid(field: string, message: string, value: unknown): never {
  throw invalid(field, `${message}, got ${String(value)}`);
}

function checkFunction<T>(field: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throwInvalid(field, 'must be a function', value);
  }
  return value;
}

/**
 * Applies defaults and checks every option.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function resolveOptions(options: EventSourceOptions = {}): ResolvedOptions {
  const method = options.method ?? 'GET';
  if (typeof method !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
    throwInvalid('method', 'must be an HTTP method token', method);
  }
  if (options.body !== undefined && /^(GET|HEAD)$/i.test(method)) {
    throw invalid(
      'body',
      `is not allowed with ${method.toUpperCase()}; set "method" (e.g. "POST")`,
    );
  }
  const lastEventId = options.lastEventId ?? '';
  if (typeof lastEventId !== 'string' || /[\0\r\n]/.test(lastEventId)) {
    throwInvalid('lastEventId', 'must be a string without NUL, CR or LF', lastEventId);
  }
  // The global is looked up at each call, so a fetch installed later (a polyfill) is used.
  const fetchFn: FetchLike =
    checkFunction('fetch', options.fetch) ?? ((url, init) => globalThis.fetch(url, init));
  const headers = options.headers;
  const headersType = typeof (headers as unknown);
  if (headers !== undefined && headersType !== 'object' && headersType !== 'function') {
    throwInvalid('headers', 'must be an object or a function', headers);
  }
  if (headers !== undefined && typeof headers !== 'function') {
    // Fixed headers are checked once here, rather than failing every attempt.
    try {
      new Headers(headers);
    } catch (error) {
      throw new SseError(
        'SSE_ERR_INVALID_OPTION',
        `"headers" ${error instanceof Error ? error.message : String(error)}`,
        { field: 'headers', cause: error },
      );
    }
  }
  const timers = options.timers ?? defaultTimers;
  if (
    typeof timers !== 'object' ||
    typeof timers.setTimeout !== 'function' ||
    typeof timers.clearTimeout !== 'function'
  ) {
    throw invalid('timers', 'must have setTimeout and clearTimeout functions');
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throwInvalid('signal', 'must be an AbortSignal', signal);
  }
  let reconnect: ResolvedOptions['reconnect'];
  if (options.reconnect !== undefined) {
    const r = options.reconnect as ReconnectOptions | null;
    if (typeof r !== 'object' || r === null) throwInvalid('reconnect', 'must be an object', r);
    const initialDelay = checkNumber('reconnect.initialDelay', r.initialDelay ?? 1000, { min: 0 });
    reconnect = {
      initialDelay,
      maxDelay: checkNumber('reconnect.maxDelay', r.maxDelay ?? Math.max(30_000, initialDelay), {
        min: initialDelay,
      }),
      factor: checkNumber('reconnect.factor', r.factor ?? 2, { min: 1, integer: false }),
      jitter: checkNumber('reconnect.jitter', r.jitter ?? 0.5, { min: 0, max: 1, integer: false }),
    };
  }
  return {
    withCredentials: options.withCredentials === true,
    headers,
    method,
    body: options.body,
    fetch: fetchFn,
    lastEventId,
    reconnectionTime: checkNumber(
      'reconnectionTime',
      options.reconnectionTime ?? DEFAULT_RECONNECTION_TIME,
      { min: 0 },
    ),
    reconnect,
    maxRetries: checkNumber('maxRetries', options.maxRetries ?? Infinity, { min: 0 }),
    stallTimeout:
      options.stallTimeout === undefined
        ? undefined
        : checkNumber('stallTimeout', options.stallTimeout, { min: 1 }),
    signal,
    maxEventSize: options.maxEventSize,
    timers,
    random: checkFunction('random', options.random) ?? Math.random,
  };
}
