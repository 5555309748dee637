/**
 * The embeddable hub: validate and publish updates, index subscribers by
 * topic, fan each update out as one shared frame, replay history on
 * reconnection.
 *
 * Data flow: `publish()` → validate + encode once → `transport.dispatch()` →
 * the transport calls the hub's single listener → fan-out → each subscriber
 * (HTTP streams through the coalescing {@link FlushQueue}; in-process
 * subscriptions directly).
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md
 */
import { SseError, isSseError } from '../protocol/sse-error.js';
import type { FetchRequestLike } from '../server/adapters/fetch.js';
import type { NodeSseRequest, NodeSseResponse } from '../server/adapters/node-http.js';
import type { SseCloseListener, SseStream } from '../server/sse-stream.js';
import { createMemoryTransport } from '../transports/memory.js';
import { EARLIEST, checkTopics, createUpdate, encodeUpdate } from './create-update.js';
import { FlushQueue } from './flush-queue.js';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './options.js';
import {
  serveFastify,
  serveFetch,
  serveNode,
  type FastifyReplyForHub,
  type FastifyRequestForHub,
  type ServeOptions,
} from './serve.js';
import { StreamSubscriber, type DisconnectReason, type Subscriber } from './subscriber.js';
import { Subscription } from './subscription.js';
import { TopicMatcher, isExactSelector } from './topic-selector.js';
import type { PublishInput, SubscribeInput, Transport, Update } from './types.js';

/** Counters for metrics (the standalone server exports them to Prometheus). Read-only snapshot. */
export interface HubStats {
  /** Subscribers connected now (HTTP and in-process). */
  readonly subscribers: number;
  /** Updates accepted by `publish()` on this hub. */
  readonly updatesPublished: number;
  /** Updates received from the transport and fanned out (includes other processes' with Redis). */
  readonly updatesDispatched: number;
  /** Update × subscriber deliveries, replays included. */
  readonly deliveries: number;
  /** Socket writes (one per subscriber per flush, however many frames). */
  readonly writes: number;
  /** Bytes handed to streams. */
  readonly bytesWritten: number;
  /** Subscribers gone, by reason. */
  readonly disconnects: Readonly<Record<DisconnectReason, number>>;
  /** Updates and bytes in history, when the transport can tell. */
  readonly history: { readonly count: number; readonly bytes: number } | undefined;
}

/**
 * A subscriber registered and catching up, not yet given its stream: what
 * `hub.prepare()` returns. Call exactly one of `attach` or `cancel`.
 */
export interface PreparedSubscriber {
  /**
   * The `Last-Event-ID` response header to send ([spec] Reconciliation), or
   * `undefined` when the request had no last event ID: the requested id when
   * found in history (replay starts right after it), else `earliest` (the
   * id is unknown or was evicted: nothing is replayed and the client should
   * assume it missed updates; or `earliest` was requested).
   */
  readonly lastEventId: string | undefined;
  /** Starts sending: the replay, the updates held meanwhile, then live ones. */
  attach(stream: SseStream): void;
  /** Gives up (the request failed before the stream opened). */
  cancel(): void;
}

interface MutableStats {
  updatesPublished: number;
  updatesDispatched: number;
  deliveries: number;
  writes: number;
  bytesWritten: number;
  disconnects: Record<DisconnectReason, number>;
}

function hubClosed(): SseError {
  return new SseError('SSE_ERR_HUB_CLOSED', 'The hub is closed.');
}

/**
 * The hub. Create it with {@link createHub}. The `serve*()` HTTP helpers are
 * added in `serve.ts` (see `createHub`).
 */
export class Hub {
  /** The transport in use (the memory transport unless one was given). */
  readonly transport: Transport;
  readonly #options: ResolvedHubOptions;
  readonly #matcher = new TopicMatcher();
  /** Exact selector → subscribers. */
  readonly #exact = new Map<string, Set<Subscriber>>();
  /** Template / `*` selector → subscribers; each selector is matched once per update. */
  readonly #patterns = new Map<string, Set<Subscriber>>();
  readonly #all = new Set<Subscriber>();
  /** Frames of updates published here (or encoded once for replay), by update. */
  readonly #frames = new WeakMap<Update, Buffer>();
  readonly #queue: FlushQueue;
  readonly #stats: MutableStats = {
    updatesPublished: 0,
    updatesDispatched: 0,
    deliveries: 0,
    writes: 0,
    bytesWritten: 0,
    disconnects: { client: 0, server: 0, 'slow-consumer': 0, error: 0, hub: 0 },
  };
  readonly #unsubscribe: () => void;
  #seq = 0;
  #closed = false;
  readonly #removeSubscription = (subscriber: Subscriber, reason: DisconnectReason): void => {
    this.#remove(subscriber, reason);
  };

  constructor(options: HubOptions = {}) {
    this.#options = resolveHubOptions(options);
    this.transport =
      options.transport ??
      createMemoryTransport({
        historySize: options.historySize,
        historyBytes: options.historyBytes,
      });
    this.#queue = new FlushQueue(this.#options.maxBufferedBytes, this.#stats);
    this.#unsubscribe = this.transport.subscribe((update) => {
      this.#fanOut(update);
    });
  }

  /** Resolved options (for the `serve*()` helpers and the standalone server). */
  get options(): ResolvedHubOptions {
    return this.#options;
  }

  /** `true` once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Subscribers connected now. */
  get subscriberCount(): number {
    return this.#all.size;
  }

  /** A snapshot of the counters. */
  get stats(): HubStats {
    const s = this.#stats;
    return {
      subscribers: this.#all.size,
      updatesPublished: s.updatesPublished,
      updatesDispatched: s.updatesDispatched,
      deliveries: s.deliveries,
      writes: s.writes,
      bytesWritten: s.bytesWritten,
      disconnects: { ...s.disconnects },
      history: this.transport.historyStats?.(),
    };
  }

  /**
   * Publishes an update; resolves to its id once the transport stored it (it
   * is then being delivered).
   *
   * Duplicate ids: an id must be unique within the retained history; the
   * memory transport rejects a publisher id that is still there with
   * `SSE_ERR_INVALID_FIELD` (field `id`), because two updates with one id
   * would make `Last-Event-ID` ambiguous. (Mercure lets hubs replace a
   * publisher's id; refusing is the explicit, loss-free choice.)
   *
   * @throws {SseError} `SSE_ERR_INVALID_TOPIC`, `SSE_ERR_TOO_MANY_TOPICS`,
   * `SSE_ERR_DATA_TOO_LARGE`, `SSE_ERR_INVALID_FIELD` (naming the field),
   * `SSE_ERR_HUB_CLOSED`, or `SSE_ERR_TRANSPORT_UNAVAILABLE` when the
   * transport failed (then nothing was stored or sent).
   */
  async publish(input: PublishInput): Promise<string> {
    if (this.#closed) throw hubClosed();
    const { update, frame } = createUpdate(input, this.#options, this.#options.generateId);
    this.#frames.set(update, frame);
    try {
      await this.transport.dispatch(update);
    } catch (error) {
      // A transport's own SseError (a duplicate id, unavailable) passes as is.
      if (isSseError(error)) throw error;
      throw new SseError(
        'SSE_ERR_TRANSPORT_UNAVAILABLE',
        'The transport could not store the update; nothing was published.',
        { cause: error },
      );
    }
    this.#stats.updatesPublished++;
    return update.id;
  }

  /**
   * Subscribes in process. Registration is synchronous: every update
   * published after this call returns is delivered (after the replay when
   * `lastEventId` is given). See {@link Subscription} for bounds.
   *
   * @throws {SseError} `SSE_ERR_INVALID_TOPIC`, `SSE_ERR_TOO_MANY_TOPICS`,
   * `SSE_ERR_TOO_MANY_SUBSCRIBERS`, `SSE_ERR_HUB_CLOSED`.
   */
  subscribe(input: SubscribeInput): Subscription {
    const topics = this.#check(input);
    const subscription = new Subscription(
      topics,
      input.claims,
      this.#options.maxBufferedBytes,
      this.#removeSubscription,
    );
    this.#add(subscription);
    this.#catchUp(subscription, input.lastEventId).then(
      ({ lastEventId, replay }) => {
        this.#goLive(subscription, replay);
        subscription.markReady({ lastEventId });
      },
      (error: unknown) => {
        subscription.fail(error);
      },
    );
    return subscription;
  }

  /**
   * Registers an HTTP subscriber and fetches its replay, before its response
   * is opened, so the `Last-Event-ID` response header can be set
   * ([spec] Reconciliation). Live updates published from this call on are
   * held and delivered after the replay: no gap, no duplicate.
   *
   * Security contract: `input.claims` are trusted as given; the caller has
   * authenticated the subscriber.
   *
   * @throws {SseError} as {@link subscribe}, or `SSE_ERR_TRANSPORT_UNAVAILABLE`
   * when history could not be read.
   */
  async prepare(input: SubscribeInput): Promise<PreparedSubscriber> {
    const topics = this.#check(input);
    const subscriber = new StreamSubscriber(topics, input.claims, this.#queue);
    this.#add(subscriber);
    let caughtUp: { lastEventId: string | undefined; replay: Update[] };
    try {
      caughtUp = await this.#catchUp(subscriber, input.lastEventId);
    } catch (error) {
      this.#remove(subscriber, 'error');
      throw error;
    }
    if (this.#closed) {
      this.#remove(subscriber, 'hub');
      throw hubClosed();
    }
    let settled = false;
    // Released once attached: the replay must not live as long as the stream.
    let replay: Update[] | undefined = caughtUp.replay;
    return {
      lastEventId: caughtUp.lastEventId,
      attach: (stream) => {
        if (settled) throw new Error('PreparedSubscriber: attach() or cancel() was already called');
        settled = true;
        const updates = replay ?? [];
        replay = undefined;
        if (subscriber.closed) {
          stream.close();
          return;
        }
        subscriber.stream = stream;
        // Made outside this scope, so the listener (alive as long as the
        // stream) holds only the hub and the subscriber.
        stream.on('close', Hub.#closeListener(this, subscriber));
        if (stream.closed) return;
        this.#goLive(subscriber, updates);
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.#remove(subscriber, 'server');
      },
    };
  }

  static #closeListener(hub: Hub, subscriber: StreamSubscriber): SseCloseListener {
    return (reason) => {
      hub.#remove(subscriber, reason);
    };
  }

  /**
   * Attaches an already open stream (the caller set its headers; use
   * {@link prepare} to set `Last-Event-ID`). Resolves once the replay is
   * queued.
   *
   * @throws {SseError} as {@link prepare}; the stream is left open.
   */
  async attach(stream: SseStream, input: SubscribeInput): Promise<void> {
    const prepared = await this.prepare(input);
    prepared.attach(stream);
  }

  /**
   * Serves one subscribe request on node:http, Express, Connect or the
   * node:http2 compatibility API: reads `topic` parameters and the last
   * event ID, authorizes (`options.claims`, else the `authorize` hook), then
   * opens the SSE response with the `Last-Event-ID` header and starts the
   * replay. Errors before the stream opens answer a plain-text 400 / 401 /
   * 403 / 503 naming the problem. Resolves to the stream, or `undefined`
   * after an error response; rejects only for unexpected errors (after
   * answering 500).
   */
  serve(
    req: NodeSseRequest,
    res: NodeSseResponse,
    options?: ServeOptions,
  ): Promise<SseStream | undefined> {
    return serveNode(this, req, res, options);
  }

  /** {@link serve} for Fetch runtimes (Hono, Bun, Deno, Next.js, Workers): resolves to the `Response`. */
  serveFetch(
    request: FetchRequestLike & { readonly method?: string },
    options?: ServeOptions,
  ): Promise<Response> {
    return serveFetch(this, request, options);
  }

  /** {@link serve} for Fastify: `return hub.serveFastify(request, reply)` in a route handler. */
  serveFastify(
    request: FastifyRequestForHub,
    reply: FastifyReplyForHub,
    options?: ServeOptions,
  ): Promise<SseStream | undefined> {
    return serveFastify(this, request, reply, options);
  }

  /**
   * Ends every subscriber (streams end gracefully, subscriptions finish),
   * refuses new publishes and subscribes with `SSE_ERR_HUB_CLOSED`, and closes
   * the transport. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Write what is pending first, so clients get every accepted update.
    this.#queue.flush();
    for (const subscriber of [...this.#all]) {
      this.#remove(subscriber, 'hub');
      subscriber.end('hub');
    }
    this.#queue.close();
    this.#unsubscribe();
    await this.transport.close();
  }

  /** Checks a subscribe input and capacity; returns the selectors. */
  #check(input: SubscribeInput): readonly string[] {
    if (this.#closed) throw hubClosed();
    const topics = checkTopics(
      input.topics,
      this.#options.maxTopicsPerSubscription,
      'subscription',
    );
    if (this.#all.size >= this.#options.maxSubscribers) {
      throw new SseError(
        'SSE_ERR_TOO_MANY_SUBSCRIBERS',
        `This hub already serves its maximum of ${this.#options.maxSubscribers} subscribers; retry later.`,
      );
    }
    return topics;
  }

  #add(subscriber: Subscriber): void {
    this.#all.add(subscriber);
    for (const selector of subscriber.selectors) {
      const index = isExactSelector(selector) ? this.#exact : this.#patterns;
      let set = index.get(selector);
      if (set === undefined) index.set(selector, (set = new Set()));
      set.add(subscriber);
    }
  }

  #remove(subscriber: Subscriber, reason: DisconnectReason): void {
    if (!this.#all.delete(subscriber)) return;
    subscriber.closed = true;
    subscriber.held = undefined;
    this.#stats.disconnects[reason]++;
    for (const selector of subscriber.selectors) {
      const index = isExactSelector(selector) ? this.#exact : this.#patterns;
      const set = index.get(selector);
      if (set === undefined) continue;
      set.delete(subscriber);
      if (set.size === 0) index.delete(selector);
    }
  }

  /**
   * Reads the replay for `lastEventId` ([spec] Reconciliation): every update
   * after it, or the whole history for `earliest`. An unknown id replays
   * nothing, and the response header says `earliest`.
   */
  async #catchUp(
    subscriber: Subscriber,
    lastEventId: string | undefined,
  ): Promise<{ lastEventId: string | undefined; replay: Update[] }> {
    if (lastEventId === undefined || lastEventId === '') {
      return { lastEventId: undefined, replay: [] };
    }
    let history: { found: boolean; updates: Update[] };
    try {
      history = await this.transport.history(lastEventId);
    } catch (error) {
      throw isSseError(error)
        ? error
        : new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', 'The history could not be read.', {
            cause: error,
          });
    }
    const replay: Update[] = [];
    for (const update of history.updates) {
      if (this.#matches(subscriber, update)) replay.push(update);
    }
    return {
      lastEventId: history.found && lastEventId !== EARLIEST ? lastEventId : EARLIEST,
      replay,
    };
  }

  /**
   * Delivers the replay, then the live updates held while it was fetched,
   * skipping those already in the replay, then switches to live delivery.
   */
  #goLive(subscriber: Subscriber, replay: readonly Update[]): void {
    const held = subscriber.held ?? [];
    subscriber.held = undefined;
    subscriber.heldBytes = 0;
    if (subscriber.closed) return;
    // Held updates are newer than anything in history at registration time;
    // only those stored between registration and the history read can be in
    // both. Ids are unique in history, so ids tell them apart.
    let skip: Set<string> | undefined;
    if (held.length > 0 && replay.length > 0) skip = new Set(held.map((u) => u.id));
    let delivered = 0;
    subscriber.replaying = true;
    for (const update of replay) {
      if (skip?.has(update.id) === true) continue;
      subscriber.deliver(update, this.#frameOf(update));
      delivered++;
    }
    for (const update of held) {
      subscriber.deliver(update, this.#frameOf(update));
      delivered++;
    }
    subscriber.replaying = false;
    this.#stats.deliveries += delivered;
  }

  #frameOf(update: Update): Buffer {
    let frame = this.#frames.get(update);
    if (frame === undefined) {
      frame = encodeUpdate(update);
      this.#frames.set(update, frame);
    }
    return frame;
  }

  /** [spec] Subscription + Authorization (Subscribers): may `subscriber` get `update`? */
  #matches(subscriber: Subscriber, update: Update): boolean {
    const matcher = this.#matcher;
    // At least one topic (canonical or alternate) matches a subscribed selector…
    if (!matcher.matchAny(subscriber.selectors, update.topics)) return false;
    return !update.private || this.#mayReceivePrivate(subscriber, update);
  }

  /**
   * [spec] "To receive updates marked as private, a subscriber MUST prove that
   * it is authorized for at least one of the topics of this update": one of
   * the update's topics (canonical or alternate) matches one of the
   * `mercure.subscribe` selectors. Independent of which topic matched the
   * subscription.
   */
  #mayReceivePrivate(subscriber: Subscriber, update: Update): boolean {
    const allowed = subscriber.privateSelectors;
    return allowed !== undefined && this.#matcher.matchAny(allowed, update.topics);
  }

  /** The transport's listener: one call per update, whatever the number of subscribers. */
  #fanOut(update: Update): void {
    if (this.#closed) return;
    const seq = ++this.#seq;
    this.#stats.updatesDispatched++;
    const frame = this.#frameOf(update);
    const topics = update.topics;
    let delivered = 0;
    for (const topic of topics) {
      const set = this.#exact.get(topic);
      if (set === undefined) continue;
      for (const subscriber of set) delivered += this.#offer(subscriber, update, frame, seq);
    }
    if (this.#patterns.size > 0) {
      const matcher = this.#matcher;
      for (const [selector, set] of this.#patterns) {
        let hit = false;
        for (const topic of topics) {
          if (matcher.match(selector, topic)) {
            hit = true;
            break;
          }
        }
        if (!hit) continue;
        for (const subscriber of set) delivered += this.#offer(subscriber, update, frame, seq);
      }
    }
    this.#stats.deliveries += delivered;
  }

  #offer(subscriber: Subscriber, update: Update, frame: Buffer, seq: number): number {
    if (subscriber.lastSeq === seq) return 0;
    subscriber.lastSeq = seq;
    if (update.private && !this.#mayReceivePrivate(subscriber, update)) return 0;
    const held = subscriber.held;
    if (held === undefined) {
      subscriber.deliver(update, frame);
      return 1;
    }
    // Catching up: hold (bounded) until the replay is out.
    held.push(update);
    subscriber.heldBytes += frame.length;
    if (subscriber.heldBytes > this.#options.maxBufferedBytes) {
      this.#remove(subscriber, 'slow-consumer');
      subscriber.end('slow-consumer');
    }
    return 0;
  }
}

/**
 * Creates a hub. See `HubOptions` for every option and its default.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming a bad option.
 */
export function createHub(options: HubOptions = {}): Hub {
  return new Hub(options);
}
