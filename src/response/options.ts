/**
 * Options shared by every SSE response, whatever the runtime.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { SseError } from '../protocol/sse-error.js';

/**
 * Response headers. Values follow node's `setHeader`: a string, a number, or a
 * list (written as repeated header lines, e.g. `Set-Cookie`); `undefined`
 * entries are skipped.
 */
export type SseHeaders = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** Options for one SSE stream; every adapter accepts them. */
export interface SseStreamOptions {
  /**
   * Reconnection time in milliseconds sent as the first frame (`retry: N`), so
   * a client that loses the connection waits this long before reconnecting.
   * A non-negative integer; when omitted, no `retry:` frame is sent and the
   * client keeps its own default (a few seconds in browsers).
   *
   * @default undefined
   * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-reconnection-time
   */
  retry?: number | undefined;

  /**
   * Heartbeat interval in milliseconds: an idle stream gets an empty comment
   * (`:\n\n`) so proxies and load balancers do not close it, and so a dead
   * client is noticed. A stream that wrote anything recently skips its
   * heartbeat. Guarantee: an open stream never stays silent for a full
   * interval. Pick it below the shortest idle timeout between you and the
   * client (nginx and most load balancers default to 60 s). `false` turns
   * heartbeats off.
   *
   * One shared, `unref()`ed timer per distinct interval serves every stream, so
   * heartbeats never keep the process alive and cost no timer per stream.
   *
   * @default 15000
   */
  heartbeatInterval?: number | false | undefined;

  /**
   * Most bytes a stream may hold unsent (written by the server, not yet taken
   * by the client's connection). A write that would go past it, while bytes are
   * still waiting, disconnects the client with close reason `'slow-consumer'`
   * and an `SseError` coded `SSE_ERR_SLOW_CONSUMER`, so one client that stops
   * reading cannot grow server memory. Memory held per stream therefore stays
   * under `maxBufferedBytes` plus one frame.
   *
   * On node this is the response's `writableLength` (string chunks count UTF-16
   * code units there, bytes for `Buffer`s); on the Fetch adapter it is the
   * bytes queued in the body's `ReadableStream`.
   *
   * Bytes written within one tick count as unsent until the runtime flushes
   * them (node's HTTP/1 response corks the socket for the rest of the tick), so
   * a synchronous burst larger than this trips the limit even for a client
   * that reads. Size it above your largest burst (a history replay, say), or
   * spread the burst over ticks while watching `bufferedBytes`.
   *
   * @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number | undefined;

  /**
   * Name of the query parameter read as the last event ID when the request has
   * no `Last-Event-ID` header (the header wins when both are present). Browsers
   * cannot set headers on a first `EventSource` connection, so a client that
   * kept an ID from an earlier page passes it in the URL. `false` reads the
   * header only.
   *
   * @default 'lastEventID' (the Mercure protocol's name)
   * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
   */
  lastEventIdParam?: string | false | undefined;

  /**
   * Extra response headers (CORS, `Set-Cookie`, …), written together with the
   * SSE headers. They override the SSE headers of the same name, so leave
   * `Content-Type` alone. Never put connection-specific headers (`Connection`,
   * `Keep-Alive`, `Transfer-Encoding`) here: HTTP/2 forbids them.
   *
   * @default undefined
   */
  headers?: SseHeaders | undefined;
}

/** Default for {@link SseStreamOptions.heartbeatInterval}. */
export const DEFAULT_HEARTBEAT_INTERVAL = 15_000;
/** Default for {@link SseStreamOptions.maxBufferedBytes}. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Default for {@link SseStreamOptions.lastEventIdParam}. */
export const DEFAULT_LAST_EVENT_ID_PARAM = 'lastEventID';

/**
 * Largest heartbeat interval accepted: node timers overflow above 2^31 - 1 ms
 * and would then fire every millisecond.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options checked and with defaults applied. */
export interface ResolvedSseStreamOptions {
  readonly retry: number | undefined;
  readonly heartbeatInterval: number | false;
  readonly maxBufferedBytes: number;
  readonly headers: SseHeaders | undefined;
}

/**
 * Checks options and applies defaults. Throws before anything is written, so
 * a bad option never leaves a half-open response behind.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION`, naming the option, on one of the
 * wrong type or range.
 */
export function resolveOptions(options: SseStreamOptions): ResolvedSseStreamOptions {
  const { retry, heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  if (retry !== undefined && !(Number.isSafeInteger(retry) && retry >= 0)) {
    throw invalidOption('retry', `must be a non-negative integer (ms), got ${String(retry)}`);
  }
  if (
    heartbeatInterval !== false &&
    !(
      Number.isSafeInteger(heartbeatInterval) &&
      heartbeatInterval > 0 &&
      heartbeatInterval <= MAX_TIMER_MS
    )
  ) {
    throw invalidOption(
      'heartbeatInterval',
      `must be false or a positive integer (ms) up to ${MAX_TIMER_MS}, got ${String(heartbeatInterval)}`,
    );
  }
  if (!(typeof maxBufferedBytes === 'number' && maxBufferedBytes > 0)) {
    throw invalidOption(
      'maxBufferedBytes',
      `must be a positive number, got ${String(maxBufferedBytes)}`,
    );
  }
  return { retry, heartbeatInterval, maxBufferedBytes, headers: options.headers };
}

/** The query parameter name to read, or `false`; checks its type. */
export function resolveLastEventIdParam(options: SseStreamOptions): string | false {
  const param = options.lastEventIdParam ?? DEFAULT_LAST_EVENT_ID_PARAM;
  if (param !== false && (typeof param !== 'string' || param === '')) {
    throw invalidOption('lastEventIdParam', 'must be a non-empty string or false');
  }
  return param;
}

function invalidOption(option: string, problem: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', `"${option}" ${problem}`, { field: option });
}
