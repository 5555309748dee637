/**
 * `connect()`: an event stream as an async iterable, with the same processing
 * model and options as {@link EventSource}.
 *
 * ```ts
 * for await (const event of connect('https://example.com/events', { reconnect: {} })) {
 *   console.log(event.type, event.lastEventId, event.data);
 *   if (event.data === 'bye') break; // closes the connection
 * }
 * ```
 *
 * Reconnections happen inside the loop (see `onError` to watch them); a fatal
 * error (HTTP status, content type, `maxRetries`, an over-size event) is
 * thrown from the loop once the events received before it have been
 * consumed. Aborting `signal` or calling `close()` ends the loop quietly.
 *
 * Backpressure: at most `queueSize` events wait for the consumer; then the
 * response body is not read until half of them are consumed, so a slow
 * consumer holds the bytes back in the network stack (and on the server,
 * which may drop a subscriber that stays slow: the client then reconnects with
 * `Last-Event-ID`). The events of the chunk being parsed when the limit is
 * reached are still queued, so the queue holds at most `queueSize` plus one
 * chunk's events.
 */
import type { ParsedEvent } from '../protocol/parser.js';
import { SseError } from '../protocol/sse-error.js';
import { Connection } from './connection.js';
import { SseErrorEvent, SseOpenEvent } from './events.js';
import { resolveOptions, type EventSourceOptions } from './options.js';
import { parseStreamUrl } from './url.js';

/** One event, as `connect()` yields it. */
export interface SseMessage extends ParsedEvent {
  /** The event type (`"message"` unless the stream named it). */
  type: string;
  /** The data lines joined with LF. */
  data: string;
  /** The last event ID string when the event was dispatched. */
  lastEventId: string;
  /** The origin of the stream's final URL (after redirects). */
  origin: string;
}

/** Options of {@link connect}: those of `EventSource`, plus the queue and two callbacks. */
export interface ConnectOptions extends EventSourceOptions {
  /**
   * Most events waiting for the consumer before the body is no longer read
   * (plus those of the chunk being parsed).
   * @default 64
   */
  queueSize?: number | undefined;
  /** Called when a connection opens (first one and every reconnection). @default undefined */
  onOpen?: ((event: SseOpenEvent) => void) | undefined;
  /**
   * Called on every error: with `reconnectDelay` set the client reconnects;
   * without, the error is fatal and the loop throws it next.
   * @default undefined
   */
  onError?: ((event: SseErrorEvent) => void) | undefined;
}

/** The iterable `connect()` returns: iterate it once; `close()` or `break` ends it. */
export interface EventStream extends AsyncIterableIterator<SseMessage, undefined> {
  /** Closes the connection; the loop ends after the events already queued. */
  close(): void;
  /** CONNECTING (0), OPEN (1) or CLOSED (2). */
  readonly readyState: number;
  /** The last event ID string (resume from it with the `lastEventId` option). */
  readonly lastEventId: string;
  /** The response of the connection that opened last, or `null`. */
  readonly response: Response | null;
}

const DEFAULT_QUEUE_SIZE = 64;

interface Waiter {
  resolve(result: IteratorResult<SseMessage, undefined>): void;
  reject(error: unknown): void;
}

/**
 * Connects to an event stream and returns it as an async iterable.
 *
 * @throws {DOMException} `SyntaxError` when `url` cannot be parsed.
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on a bad option.
 */
export function connect(url: string | URL, options: ConnectOptions = {}): EventStream {
  const record = parseStreamUrl(url, 'connect');
  const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  if (!Number.isSafeInteger(queueSize) || queueSize < 1) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"queueSize" must be a positive integer, got ${String(queueSize)}`,
      { field: 'queueSize' },
    );
  }
  const resolved = resolveOptions(options);
  const { onOpen, onError } = options;

  const queue: SseMessage[] = [];
  const waiters: Waiter[] = [];
  /** Set once: the fatal error to throw after the queued events. */
  let failure: { error: unknown } | undefined;
  /** The connection is closed: the loop ends after the queued events. */
  let finished = false;
  /** Resolves the pause of the body read. */
  let resume: (() => void) | undefined;

  function wake(): void {
    if (resume !== undefined) {
      const run = resume;
      resume = undefined;
      run();
    }
  }

  function settle(): void {
    while (waiters.length > 0) {
      const message = queue.shift();
      if (message !== undefined) {
        waiters.shift()?.resolve({ value: message, done: false });
        if (queue.length <= queueSize >> 1) wake();
      } else if (failure !== undefined) {
        // Thrown once; later calls see the end.
        const { error } = failure;
        failure = undefined;
        finished = true;
        waiters.shift()?.reject(error);
      } else if (finished) {
        waiters.shift()?.resolve({ value: undefined, done: true });
      } else {
        return;
      }
    }
  }

  /** A user callback threw: the loop throws that (after the queued events). */
  function callback<E>(fn: ((event: E) => void) | undefined, event: E): void {
    if (fn === undefined) return;
    try {
      fn(event);
    } catch (error) {
      failure ??= { error };
      connection.close();
    }
  }

  const connection = new Connection(record.href, resolved, {
    onOpen: (response, finalUrl) => {
      callback(onOpen, new SseOpenEvent('open', response, finalUrl));
    },
    onEvent: (event: ParsedEvent, origin) => {
      queue.push({
        type: event.type,
        data: event.data,
        lastEventId: event.lastEventId,
        origin,
      });
      settle();
    },
    onError: (error, reconnectDelay) => {
      callback(onError, new SseErrorEvent('error', error, reconnectDelay));
      if (reconnectDelay === undefined) {
        failure ??= { error };
        wake();
        settle();
      }
    },
    onClose: () => {
      finished = true;
      wake();
      settle();
    },
    paused: () =>
      queue.length >= queueSize
        ? new Promise<void>((resolve) => {
            resume = resolve;
          })
        : undefined,
  });

  const stream: EventStream = {
    next() {
      return new Promise<IteratorResult<SseMessage, undefined>>((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      });
    },
    return() {
      // `break` out of the loop (or an exception in its body): close and drop the rest.
      connection.close();
      queue.length = 0;
      failure = undefined;
      finished = true;
      settle();
      return Promise.resolve({ value: undefined, done: true });
    },
    close() {
      connection.close();
    },
    get readyState() {
      return connection.readyState;
    },
    get lastEventId() {
      return connection.lastEventId;
    },
    get response() {
      return connection.response ?? null;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  connection.start();
  return stream;
}
