/**
 * `EventSource`: the WHATWG interface on `fetch` and web streams, a drop-in
 * for the browser's in Node (and usable in browsers, Deno and Bun), with
 * opt-in extensions (headers, POST, backoff, stall detection…) in the options.
 *
 * ```ts
 * const source = new EventSource('https://example.com/events');
 * source.onmessage = (event) => console.log(event.data);
 * source.addEventListener('price', (event) => console.log(event.lastEventId, event.data));
 * source.onerror = (event) => console.error(event.code, event.message);
 * ```
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface
 */
import { Connection, CLOSED, CONNECTING, OPEN } from './connection.js';
import { SseErrorEvent, SseOpenEvent } from './events.js';
import { resolveOptions, type EventSourceOptions } from './options.js';
import { parseStreamUrl } from './url.js';

/** The events an {@link EventSource} fires (named events are `MessageEvent`s too). */
export interface EventSourceEventMap {
  open: SseOpenEvent;
  message: MessageEvent<string>;
  error: SseErrorEvent;
}

type Handler<E extends Event> = ((this: EventSource, event: E) => unknown) | null;
type AnyHandler = ((event: Event) => unknown) | null;

export class EventSource extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  // [spec] the constants are on the prototype too (defined below the class).
  declare readonly CONNECTING: typeof CONNECTING;
  declare readonly OPEN: typeof OPEN;
  declare readonly CLOSED: typeof CLOSED;

  readonly #url: string;
  readonly #withCredentials: boolean;
  readonly #connection: Connection;
  /** Event handler IDL attributes: one listener per type, registered when first set. */
  readonly #handlers = new Map<
    string,
    { value: (event: Event) => unknown; listener: EventListener }
  >();

  /**
   * @param url The event stream's URL, resolved against the document's base
   * URL in browsers.
   * @param options `withCredentials` (the WHATWG `EventSourceInit`) and this
   * library's extensions: see {@link EventSourceOptions}.
   * @throws {DOMException} `SyntaxError` when `url` cannot be parsed.
   * @throws {SseError} `SSE_ERR_INVALID_OPTION` on a bad option.
   */
  constructor(url: string | URL, options?: EventSourceOptions) {
    super();
    // [spec] 3. "Let urlRecord be the result of encoding-parsing a URL given
    // url, relative to settings." 4. "If urlRecord is failure, then throw a
    // "SyntaxError" DOMException."
    const record = parseStreamUrl(url, 'EventSource');
    const resolved = resolveOptions(options);
    // [spec] 5. "Set ev's url to urlRecord." 7. withCredentials.
    this.#url = record.href;
    this.#withCredentials = resolved.withCredentials;
    this.#connection = new Connection(record.href, resolved, {
      onOpen: (response, finalUrl) => {
        this.dispatchEvent(new SseOpenEvent('open', response, finalUrl));
      },
      onEvent: (event, origin) => {
        // [spec] dispatch the event, 4-6: a MessageEvent with data, the origin
        // of the final URL and the last event ID string; its type is the event
        // type buffer when not empty, else "message" (the parser did that).
        this.dispatchEvent(
          new MessageEvent(event.type, {
            data: event.data,
            origin,
            lastEventId: event.lastEventId,
          }),
        );
      },
      onError: (error, reconnectDelay) => {
        this.dispatchEvent(new SseErrorEvent('error', error, reconnectDelay));
      },
    });
    this.#connection.start();
  }

  /** [spec] "The url attribute's getter must return the serialization of this EventSource object's url." */
  get url(): string {
    return this.#url;
  }

  /** [spec] true when the credentials mode is "include". */
  get withCredentials(): boolean {
    return this.#withCredentials;
  }

  /** [spec] CONNECTING (0), OPEN (1) or CLOSED (2). */
  get readyState(): number {
    return this.#connection.readyState;
  }

  /**
   * The last event ID string (an extension: the spec keeps it internal). Sent
   * as `Last-Event-ID` on reconnection when not empty.
   */
  get lastEventId(): string {
    return this.#connection.lastEventId;
  }

  /**
   * The response of the connection that opened last (an extension), or
   * `null` before the first one. Its body belongs to the client.
   */
  get response(): Response | null {
    return this.#connection.response ?? null;
  }

  /** [spec] Aborts the request in flight (or the wait before the next one) and sets readyState to CLOSED. */
  close(): void {
    this.#connection.close();
  }

  // The getters return the handler typed as the DOM's `EventSource` does (a
  // bare `Event`), so this class is assignable to the DOM type; the setters
  // take handlers typed with this library's events.

  get onopen(): AnyHandler {
    return this.#getHandler('open');
  }
  set onopen(value: Handler<SseOpenEvent>) {
    this.#setHandler('open', value);
  }

  get onmessage(): AnyHandler {
    return this.#getHandler('message');
  }
  set onmessage(value: Handler<MessageEvent<string>>) {
    this.#setHandler('message', value);
  }

  get onerror(): AnyHandler {
    return this.#getHandler('error');
  }
  set onerror(value: Handler<SseErrorEvent>) {
    this.#setHandler('error', value);
  }

  #getHandler(type: string): AnyHandler {
    return this.#handlers.get(type)?.value ?? null;
  }

  /**
   * [spec, HTML "event handlers"] Setting a handler registers one listener the
   * first time (so it runs in the order it was first set among the other
   * listeners); setting null removes it; setting another function keeps the
   * listener's place.
   */
  #setHandler(type: string, value: unknown): void {
    const entry = this.#handlers.get(type);
    if (typeof value !== 'function') {
      if (entry !== undefined) {
        super.removeEventListener(type, entry.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    const handler = value as (event: Event) => unknown;
    if (entry !== undefined) {
      entry.value = handler;
      return;
    }
    const created = {
      value: handler,
      listener: (event: Event): void => {
        void created.value.call(this, event);
      },
    };
    this.#handlers.set(type, created);
    super.addEventListener(type, created.listener);
  }

  override addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener:
      | ((this: EventSource, event: MessageEvent<string>) => unknown)
      | EventListenerOrEventListenerObject
      | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: unknown,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener:
      | ((this: EventSource, event: MessageEvent<string>) => unknown)
      | EventListenerOrEventListenerObject
      | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: unknown,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }
}

// [spec, WebIDL] constants live on the interface object and its prototype:
// read-only, enumerable, not configurable.
for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSED', CLOSED],
] as const) {
  for (const target of [EventSource, EventSource.prototype]) {
    Object.defineProperty(target, name, {
      value,
      writable: false,
      enumerable: true,
      configurable: false,
    });
  }
}

// The `eventsource` package's marker for "the `fetch` option is honoured"
// (code written for it checks the symbol before passing a custom fetch to
// whatever EventSource it was given); declared as that package declares it.
Object.defineProperty(EventSource, Symbol.for('eventsource.supports-fetch-override'), {
  value: true,
  writable: false,
  enumerable: false,
  configurable: false,
});
