/**
 * The EventSource processing model on `fetch` and web streams, apart from the
 * `EventTarget` interface: connect, announce, read and parse the body,
 * reestablish (with the reconnection time or a backoff policy), fail, close.
 * `EventSource` and `connect()` are thin layers over it.
 *
 * Invariants: at most one request in flight and at most one timer of each kind
 * pending; every step that resumes after an `await` first checks that its
 * attempt is still the current one and that the connection is not CLOSED, so
 * `close()` (or a hook that calls it) stops everything at once: no event, no
 * timer, no request afterwards.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#processing-model
 *
 * Size: one state machine (the processing model's connection), kept whole
 * so every transition is in one place; response checks, options, backoff and
 * events are in their own files.
 */
import { createParser, type ParsedEvent, type Parser } from '../protocol/parser.js';
import { SseError } from '../protocol/sse-error.js';
import type { ClientError } from './errors.js';
import { reconnectDelay } from './backoff.js';
import type { FetchInit, ResolvedOptions } from './options.js';
import { checkResponse, discardResponse, quietly } from './response-check.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSED;

/** What the connection reports; each hook runs synchronously and may call `close()`. */
export interface ConnectionHooks {
  /** The connection opened (`readyState` is OPEN). */
  onOpen(response: Response, finalUrl: string): void;
  /** An event to dispatch (only while not CLOSED). */
  onEvent(event: ParsedEvent, origin: string): void;
  /**
   * An error: `readyState` is CONNECTING and the next attempt comes after
   * `reconnectDelay` ms, or it is CLOSED (`reconnectDelay` undefined).
   */
  onError(error: ClientError, reconnectDelay: number | undefined): void;
  /** `close()` was called, or the `signal` aborted. */
  onClose?(): void;
  /**
   * Backpressure: called after each chunk; while the promise it returns is
   * pending, the body is not read (and stall detection is off).
   */
  paused?(): Promise<void> | undefined;
}

/** The origin of a URL, serialised (`"null"` for opaque ones). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

/**
 * [spec] reestablish step 5.3: "Let lastEventIDValue be the EventSource
 * object's last event ID string, encoded as UTF-8": a header value is a byte
 * sequence, which `Headers` takes as a string of code points up to U+00FF (one
 * per byte). Setting the id as it is would throw on any character above
 * U+00FF (and send Latin-1 for the others).
 */
function utf8ByteString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(value)) return value;
  let bytes = '';
  for (const byte of new TextEncoder().encode(value)) bytes += String.fromCharCode(byte);
  return bytes;
}

/**
 * A one-line description of what a `fetch`, a `headers` function or a body
 * threw. Never throws itself: a rejection reason can be anything (a
 * null-prototype object, an Error with a throwing getter), and a throw here
 * would escape as an unhandled rejection.
 */
function describe(error: unknown): string {
  try {
    if (error instanceof Error) {
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const detail = typeof cause?.code === 'string' ? cause.code : cause?.message;
      return typeof detail === 'string' && detail !== ''
        ? `${error.message} (${detail})`
        : error.message;
    }
    return String(error);
  } catch {
    return 'a thrown value that cannot be printed';
  }
}

export class Connection {
  /**
   * Where the next attempt goes: the URL given, then the final URL of a
   * redirected response (see {@link #followRedirect}).
   */
  #url: string;
  readonly #firstOrigin: string;
  readonly #options: ResolvedOptions;
  readonly #hooks: ConnectionHooks;
  readonly #parser: Parser;
  #state: ReadyState = CONNECTING;
  /** Identifies the current attempt; stale continuations of older ones stop. */
  #attempt = 0;
  #controller: AbortController | undefined;
  /** Reconnection attempts since the last connection that opened. */
  #failures = 0;
  /** [spec] "the reconnection time of the event source", in ms. */
  #reconnectionTime: number;
  #serverRetry: number | undefined;
  #reconnectTimer: unknown;
  #stallTimer: unknown;
  #response: Response | undefined;
  /** The origin of the stream's final URL, for `MessageEvent.origin`. */
  #origin: string;
  readonly #onAbort = (): void => {
    this.close();
  };

  constructor(url: string, options: ResolvedOptions, hooks: ConnectionHooks) {
    this.#url = url;
    this.#firstOrigin = originOf(url);
    this.#options = options;
    this.#hooks = hooks;
    this.#reconnectionTime = options.reconnectionTime;
    this.#origin = originOf(url);
    this.#parser = createParser(
      {
        onEvent: (event) => {
          // [spec] "Queue a task which, if the readyState attribute is set to a
          // value other than CLOSED, dispatches the newly created event": a
          // listener that closes stops the rest of the chunk.
          if (this.#state !== CLOSED) this.#hooks.onEvent(event, this.#origin);
        },
        onRetry: (ms) => {
          // [spec] "set the event stream's reconnection time to that integer"
          this.#reconnectionTime = ms;
          this.#serverRetry = ms;
        },
        onError: (error) => {
          // A hostile or misconfigured stream: fail rather than reconnect, as
          // the server would most likely send the same event again.
          this.#fail(error);
        },
      },
      {
        lastEventId: options.lastEventId,
        ...(options.maxEventSize === undefined ? {} : { maxEventSize: options.maxEventSize }),
      },
    );
  }

  get readyState(): ReadyState {
    return this.#state;
  }

  /** [spec] "the last event ID string of the event source". */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  /** The response of the connection that opened last. */
  get response(): Response | undefined {
    return this.#response;
  }

  /** Starts the first connection (or closes at once when the signal already aborted). */
  start(): void {
    const { signal } = this.#options;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.close();
        return;
      }
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    // [spec] constructor step 15: "Fetch request".
    this.#attemptConnection();
  }

  /**
   * Runs one attempt. Every step of {@link #run} handles its own failures;
   * should anything still throw (an injected `timers` or `random` that threw,
   * or a bug), the connection fails with `SSE_ERR_INTERNAL` rather than the
   * rejection going unhandled (which ends a Node process).
   */
  #attemptConnection(): void {
    const attempt = this.#attempt + 1;
    this.#run().catch((error: unknown) => {
      if (attempt !== this.#attempt) return;
      quietly(() => {
        this.#fail(
          new SseError(
            'SSE_ERR_INTERNAL',
            `unexpected exception in the client: ${describe(error)}`,
            { cause: error },
          ),
        );
      });
    });
  }

  /**
   * [spec] "The close() method steps are: 1. Abort any instances of the fetch
   * algorithm started for this EventSource object. 2. Set this's readyState
   * attribute to CLOSED."
   */
  close(): void {
    if (this.#state === CLOSED) return;
    this.#shutDown();
    this.#hooks.onClose?.();
  }

  #shutDown(): void {
    this.#state = CLOSED;
    this.#controller?.abort();
    this.#controller = undefined;
    this.#options.timers.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#clearStall();
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  #clearStall(): void {
    if (this.#stallTimer !== undefined) {
      this.#options.timers.clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
    }
  }

  /** (Re)arms stall detection for `controller`'s request, when it is on. */
  #armStall(controller: AbortController, stalled: { value: boolean }): void {
    this.#clearStall();
    const ms = this.#options.stallTimeout;
    if (ms === undefined) return;
    this.#stallTimer = this.#options.timers.setTimeout(() => {
      this.#stallTimer = undefined;
      stalled.value = true;
      controller.abort();
    }, ms);
  }

  async #requestInit(signal: AbortSignal): Promise<FetchInit> {
    const options = this.#options;
    const source = options.headers;
    const given = new Headers(typeof source === 'function' ? await source() : source);
    // A plain object, not a `Headers`: a custom fetch written for the
    // `eventsource` package spreads it (`{ ...init.headers, Authorization }`),
    // which keeps nothing of a `Headers`. The names the client sets are
    // spelled as that package spells them; the `headers` option's come
    // lowercase, as `Headers` gives them.
    const headers: Record<string, string> = {};
    // [spec] "User agents may set (`Accept`, `text/event-stream`) in request's header list."
    if (!given.has('accept')) headers.Accept = 'text/event-stream';
    for (const [name, value] of given) headers[name] = value;
    // [spec] reestablish step 5.3: "If the EventSource object's last event ID
    // string is not the empty string, then: … Set (`Last-Event-ID`,
    // lastEventIDValue) in request's header list." (On the first request too
    // when the `lastEventId` option is given.) "Set" replaces a given one.
    const lastEventId = this.#parser.lastEventId;
    if (lastEventId !== '') {
      delete headers['last-event-id'];
      headers['Last-Event-ID'] = utf8ByteString(lastEventId);
    }
    const init: FetchInit = {
      method: options.method,
      headers,
      signal,
      // [spec] "Set request's cache mode to "no-store"": fetch then sends
      // `Cache-Control: no-cache` and `Pragma: no-cache` itself (without
      // making a cross-origin request non-simple in browsers).
      cache: 'no-store',
      // [spec] "creating a potential-CORS request given urlRecord, "", and
      // corsAttributeState": mode "cors"; credentials "include" for "Use
      // Credentials" (withCredentials), "same-origin" for "Anonymous".
      mode: 'cors',
      credentials: options.withCredentials ? 'include' : 'same-origin',
      // Redirects are followed by fetch; the final URL gives the origin.
      redirect: 'follow',
    };
    if (options.body !== undefined) init.body = options.body;
    return init;
  }

  /** One connection attempt, from the request to the end of the body. */
  async #run(): Promise<void> {
    const attempt = ++this.#attempt;
    const current = (): boolean => attempt === this.#attempt && this.#state !== CLOSED;
    const controller = new AbortController();
    this.#controller = controller;
    const stalled = { value: false };
    const lost = (error: unknown): ClientError =>
      stalled.value
        ? new SseError(
            'SSE_ERR_STALLED',
            `no data for ${String(this.#options.stallTimeout)} ms; the request was aborted`,
          )
        : new SseError('SSE_ERR_NETWORK', `network error: ${describe(error)}`, { cause: error });

    let response: Response;
    try {
      this.#armStall(controller, stalled);
      const init = await this.#requestInit(controller.signal);
      if (!current()) return;
      response = await this.#options.fetch(this.#url, init);
    } catch (error) {
      this.#clearStall();
      // [spec] "If res is an aborted network error, then fail the connection":
      // after close() readyState is CLOSED already, so that does nothing.
      if (!current()) return;
      // [spec] "Otherwise, if res is a network error, then reestablish the connection"
      this.#reestablish(lost(error));
      return;
    }
    this.#clearStall();
    if (!current()) {
      discardResponse(response);
      return;
    }
    // A custom fetch may resolve with anything: checked before any use.
    const refusal = await checkResponse(response, this.#options.timers);
    if (!current()) {
      if (refusal === undefined) discardResponse(response);
      return;
    }
    if (refusal !== undefined) {
      // [spec] "if res's status is not 200, or if res's `Content-Type` is not
      // `text/event-stream`, then fail the connection." (And so does a
      // response that cannot be read at all: SSE_ERR_INVALID_RESPONSE.)
      this.#fail(refusal);
      return;
    }
    // checkResponse guarantees a web ReadableStream body. The client takes
    // the reader before announcing the connection, so the body is its own
    // (an `open` listener cannot consume it); a body locked already cannot
    // be read by anyone: fail.
    const body = response.body as ReadableStream<Uint8Array>;
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = body.getReader();
    } catch (error) {
      this.#fail(
        new SseError(
          'SSE_ERR_INVALID_RESPONSE',
          `the response body cannot be read: ${describe(error)} (was it read before the client got it?)`,
          { cause: error },
        ),
      );
      return;
    }
    this.#followRedirect(response);

    // [spec] "Otherwise, announce the connection and interpret res's body line by line."
    const finalUrl =
      typeof response.url === 'string' && response.url !== '' ? response.url : this.#url;
    this.#origin = originOf(finalUrl);
    this.#response = response;
    // A new stream: any partial line of the previous one is gone, the last
    // event ID string stays.
    this.#parser.reset();
    // [spec] announce: "if the readyState attribute is set to a value other
    // than CLOSED, sets the readyState attribute to OPEN and fires an event
    // named open at the EventSource object."
    this.#state = OPEN;
    this.#failures = 0;
    this.#hooks.onOpen(response, finalUrl);
    if (!current()) {
      quietly(() => reader.cancel());
      return;
    }
    let ended = false;
    try {
      for (;;) {
        this.#armStall(controller, stalled);
        const { done, value } = await reader.read();
        this.#clearStall();
        if (!current()) return;
        if (done) {
          ended = true;
          break;
        }
        // [spec] "Streams must be decoded using the UTF-8 decode algorithm":
        // the parser decodes bytes, split sequences included.
        this.#parser.feed(value);
        if (!current()) return;
        const pause = this.#hooks.paused?.();
        if (pause !== undefined) {
          await pause;
          if (!current()) return;
        }
      }
    } catch (error) {
      this.#clearStall();
      if (!current()) return;
      // The body broke off (reset, aborted by stall detection): as a network error.
      this.#reestablish(lost(error));
      return;
    } finally {
      // A custom reader's cancel() may throw or reject: neither may escape.
      if (!ended) quietly(() => reader.cancel());
    }
    // [spec] processEventSourceEndOfBody: "if res is not a network error, then
    // reestablish the connection." Any unterminated event is discarded (the
    // parser is reset before the next stream).
    this.#reestablish(new SseError('SSE_ERR_DISCONNECTED', 'the server ended the stream'));
  }

  /**
   * [spec] Redirects append to the request's URL list and fetch starts from
   * its current URL, so a reconnection (which fetches the same request) goes
   * to the final URL of the last redirect, not back to the first one
   * (whatwg/html#503; Chromium does so).
   *
   * Only where that is what a browser's EventSource would send: a `GET`
   * (after a 301/302/303 a `POST` became a `GET`, which the response does not
   * tell), and, with extra `headers`, only within the first URL's origin
   * (fetch drops `Authorization` on a cross-origin redirect; going straight
   * to the other origin would hand it over).
   */
  #followRedirect(response: Response): void {
    if (!response.redirected || typeof response.url !== 'string') return;
    if (response.url === '' || response.url === this.#url) return;
    if (this.#options.method.toUpperCase() !== 'GET') return;
    if (this.#options.headers !== undefined && originOf(response.url) !== this.#firstOrigin) return;
    this.#url = response.url;
  }

  /** [spec] "When a user agent is to reestablish the connection": */
  #reestablish(error: ClientError): void {
    // [spec] 1.1 "If the readyState attribute is set to CLOSED, abort the task."
    if (this.#state === CLOSED) return;
    this.#controller = undefined;
    this.#failures += 1;
    if (this.#failures > this.#options.maxRetries) {
      const { maxRetries } = this.#options;
      this.#fail(
        new SseError(
          'SSE_ERR_MAX_RETRIES',
          `gave up after ${maxRetries} failed reconnection attempt${maxRetries === 1 ? '' : 's'}; last error: ${error.message}`,
          { cause: error, ...(error.status === undefined ? {} : { status: error.status }) },
        ),
      );
      return;
    }
    // [spec] 2. "Wait a delay equal to the reconnection time of the event
    // source." 3. "Optionally, wait some more": the backoff policy, when set.
    const delay = reconnectDelay({
      attempt: this.#failures,
      reconnectionTime: this.#reconnectionTime,
      serverRetry: this.#serverRetry,
      policy: this.#options.reconnect,
      random: this.#options.random,
    });
    // [spec] 1.2 "Set the readyState attribute to CONNECTING."
    this.#state = CONNECTING;
    // [spec] 1.3 "Fire an event named error at the EventSource object."
    this.#hooks.onError(error, delay);
    // A listener may have called close(): then nothing more happens.
    if (this.readyState !== CONNECTING) return;
    this.#reconnectTimer = this.#options.timers.setTimeout(() => {
      this.#reconnectTimer = undefined;
      // [spec] 5.1 "If the EventSource object's readyState attribute is not
      // set to CONNECTING, then return."
      if (this.#state !== CONNECTING) return;
      // [spec] 5.4 "Fetch request and process the response … as described earlier"
      this.#attemptConnection();
    }, delay);
  }

  /**
   * [spec] "When a user agent is to fail the connection, the user agent must
   * queue a task which, if the readyState attribute is set to a value other
   * than CLOSED, sets the readyState attribute to CLOSED and fires an event
   * named error at the EventSource object. Once the user agent has failed the
   * connection, it does not attempt to reconnect."
   */
  #fail(error: ClientError): void {
    if (this.#state === CLOSED) return;
    this.#shutDown();
    this.#hooks.onError(error, undefined);
  }
}
