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
 *
 * Size: the hub's public API (validate, publish, subscribe, prepare,
 * attach, close, stats) and its fan-out; the subscriber index, the replay,
 * the flush queue and the counters are their own files.
 */
import { SseError, isSseError } from '../protocol/sse-error.js';
import type { SseCloseListener, SseStream } from '../response/sse-stream.js';
import { ActiveSubscriptions, HUB_EVENT_TYPE } from './active-subscriptions.js';
import { checkTopics, createUpdate, encodeUpdate } from './create-update.js';
import { hubError } from './errors.js';
import { FlushQueue } from './flush-queue.js';
import { createMemoryTransport } from './memory-transport.js';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './options.js';
import { RoomWaiter, beginReplay, runReplay, type ReplayHost, type ReplayStart } from './replay.js';
import { StreamSubscriber, type DisconnectReason, type Subscriber } from './subscriber.js';
import { Subscription } from './subscription.js';
import type { HubStats, MutableStats } from './hub-stats.js';
import { SubscriberIndex } from './subscriber-index.js';
import { MemorySubscriptionRegistry, type SubscriptionDocument } from './subscription-registry.js';
import type { Position, PublishInput, SubscribeInput, Transport, Update } from './types.js';

/**
 * A subscriber registered and catching up, not yet given its stream: what
 * `hub.prepare()` returns. Call exactly one of `attach` or `cancel`.
 */
export interface PreparedSubscriber {
  /**
   * What the subscriber resumes after ([spec] Reconciliation), for the
   * `Last-Event-ID` response header; `undefined` when the request had no last
   * event ID: the requested id when found in history (replay starts right
   * after it), else `earliest` (the id is unknown, was evicted, or names an
   * update this subscriber may not see: nothing is replayed and the client
   * should assume it missed updates; or `earliest` was requested).
   */
  readonly lastEventId: string | undefined;
  /** Starts sending: the replay, the updates held meanwhile, then live ones. */
  attach(stream: SseStream): void;
  /** Gives up (the request failed before the stream opened). */
  cancel(): void;
}

function hubClosed(): SseError {
  return hubError('SSE_ERR_HUB_CLOSED', 'The hub is closed.');
}

/** The hub. Create it with {@link createHub}. */
export class Hub {
  /** The transport in use (the memory transport unless one was given). */
  readonly transport: Transport;
  readonly #options: ResolvedHubOptions;
  readonly #index = new SubscriberIndex();
  /** Frames of updates validated here (or encoded once for fan-out and replay), by update. */
  readonly #frames = new WeakMap<Update, Buffer>();
  readonly #queue: FlushQueue;
  readonly #room = new RoomWaiter();
  readonly #stats: MutableStats = {
    updatesPublished: 0,
    updatesDispatched: 0,
    deliveries: 0,
    writes: 0,
    bytesWritten: 0,
    disconnects: { client: 0, server: 0, 'slow-consumer': 0, error: 0, hub: 0 },
  };
  readonly #unsubscribe: () => void;
  readonly #replayHost: ReplayHost;
  readonly #active: ActiveSubscriptions | undefined;
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
    this.#replayHost = {
      transport: this.transport,
      matches: (subscriber, update) => this.#index.matches(subscriber, update),
      mayReceive: (subscriber, update) => this.#index.mayReceive(subscriber, update),
      frameOf: (update) => this.#frameOf(update),
      delivered: (count) => {
        this.#stats.deliveries += count;
      },
      cut: (subscriber, reason) => {
        this.#remove(subscriber, reason);
        subscriber.end(reason);
      },
    };
    this.#unsubscribe = this.transport.subscribe((update, position) => {
      this.#fanOut(update, position);
    });
    const subscriptions = this.#options.subscriptions;
    this.#active =
      subscriptions === undefined
        ? undefined
        : new ActiveSubscriptions({
            hubPath: subscriptions.hubPath,
            registry:
              this.transport.subscriptionRegistry?.({
                leaseInterval: subscriptions.leaseInterval,
                onError: subscriptions.onError,
              }) ?? new MemorySubscriptionRegistry(),
            publish: (document) => this.#publishOwn(document),
            onError: subscriptions.onError,
          });
  }

  /**
   * Active subscriptions ([spec] Active Subscriptions), when the
   * `subscriptions` option is on: the list the subscription API serves.
   */
  get activeSubscriptions(): ActiveSubscriptions | undefined {
    return this.#active;
  }

  /** Resolved options (for the HTTP layer and the standalone server). */
  get options(): ResolvedHubOptions {
    return this.#options;
  }

  /** `true` once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Subscribers connected now. */
  get subscriberCount(): number {
    return this.#index.size;
  }

  /** A snapshot of the counters. */
  get stats(): HubStats {
    const s = this.#stats;
    return {
      subscribers: this.#index.size,
      updatesPublished: s.updatesPublished,
      updatesDispatched: s.updatesDispatched,
      deliveries: s.deliveries,
      writes: s.writes,
      bytesWritten: s.bytesWritten,
      disconnects: { ...s.disconnects },
      history: this.transport.historyStats?.(),
      selectors: {
        compiled: this.#index.compiledSelectors,
        templatesTested: this.#index.templatesTested,
      },
      transport: this.transport.counters?.(),
    };
  }

  /**
   * Checks a publish input against every rule and limit of the hub and
   * returns the update it would publish (id generated when none was given),
   * without publishing it. Callers that must look at the update before
   * publishing (the HTTP layer authorizes its topics) pass the result to
   * {@link publish}, which then does not check it again.
   *
   * @throws {SseError} as {@link publish}, for the input.
   */
  validate(input: PublishInput): Update {
    const { update, frame } = createUpdate(input, this.#options, this.#options.generateId);
    this.#frames.set(update, frame);
    return update;
  }

  /**
   * Publishes an update; resolves to its id once the transport stored it (it
   * is then being delivered).
   *
   * Ids: a publisher may reuse an id (Mercure lets apps use entity ids); a
   * `Last-Event-ID` naming a reused id resumes after its earliest occurrence
   * still in history.
   *
   * @throws {SseError} `SSE_ERR_INVALID_TOPIC`, `SSE_ERR_TOO_MANY_TOPICS`,
   * `SSE_ERR_DATA_TOO_LARGE`, `SSE_ERR_INVALID_FIELD` (naming the field),
   * `SSE_ERR_HUB_CLOSED`, or `SSE_ERR_TRANSPORT_UNAVAILABLE` when the
   * transport failed (then nothing was stored or sent).
   */
  async publish(input: PublishInput | Update): Promise<string> {
    if (this.#closed) throw hubClosed();
    // An update returned by `validate()` is checked already (its frame is known).
    const update = this.#frames.has(input as Update) ? (input as Update) : this.validate(input);
    try {
      await this.transport.dispatch(update);
    } catch (error) {
      // A transport's own SseError (unavailable) passes as is.
      if (isSseError(error)) throw error;
      throw hubError(
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
    const upTo = this.#register(subscription);
    this.#active?.joined(subscription);
    beginReplay(this.#replayHost, subscription, input.lastEventId, upTo).then(
      ({ lastEventId, start }) => {
        subscription.markReady({ lastEventId });
        void runReplay(this.#replayHost, this.#room, subscription, start);
      },
      (error: unknown) => {
        subscription.fail(error);
      },
    );
    return subscription;
  }

  /**
   * Registers an HTTP subscriber and reads the first page of its replay,
   * before its response is opened, so the `Last-Event-ID` response header can
   * be set ([spec] Reconciliation). Live updates published from this call on
   * are held and delivered after the replay: no gap, no duplicate.
   *
   * Security contract: `input.claims` are trusted as given; the caller has
   * authenticated the subscriber.
   *
   * @throws {SseError} as {@link subscribe}, or `SSE_ERR_TRANSPORT_UNAVAILABLE`
   * when history could not be read.
   */
  async prepare(input: SubscribeInput): Promise<PreparedSubscriber> {
    const topics = this.#check(input);
    const subscriber = new StreamSubscriber(
      topics,
      input.claims,
      this.#queue,
      this.#options.maxBufferedBytes,
    );
    const upTo = this.#register(subscriber);
    let begun: { lastEventId: string | undefined; start: ReplayStart | undefined };
    try {
      begun = await beginReplay(this.#replayHost, subscriber, input.lastEventId, upTo);
    } catch (error) {
      this.#remove(subscriber, 'error');
      throw error;
    }
    if (this.#closed) {
      this.#remove(subscriber, 'hub');
      throw hubClosed();
    }
    let settled = false;
    // Released once attached: the first page must not live as long as the stream.
    let start: ReplayStart | undefined = begun.start;
    return {
      lastEventId: begun.lastEventId,
      attach: (stream) => {
        if (settled) throw new Error('PreparedSubscriber: attach() or cancel() was already called');
        settled = true;
        const replay = start;
        start = undefined;
        if (subscriber.closed) {
          stream.close();
          return;
        }
        subscriber.stream = stream;
        // Made outside this scope, so the listener (alive as long as the
        // stream) holds only the hub and the subscriber.
        stream.on('close', Hub.#closeListener(this, subscriber));
        if (stream.closed) return;
        // Announced once it has a stream ([spec] "every time a subscription
        // is created"): a request refused before that never existed.
        this.#active?.joined(subscriber);
        void runReplay(this.#replayHost, this.#room, subscriber, replay);
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
   * {@link prepare} to set `Last-Event-ID`). Resolves once the replay started.
   *
   * @throws {SseError} as {@link prepare}; the stream is left open.
   */
  async attach(stream: SseStream, input: SubscribeInput): Promise<void> {
    const prepared = await this.prepare(input);
    prepared.attach(stream);
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
    for (const subscriber of this.#index.all()) {
      this.#remove(subscriber, 'hub');
      subscriber.end('hub');
    }
    this.#queue.close();
    this.#room.close();
    // The last announcements (this process's subscribers left) go out
    // before the transport closes.
    await this.#active?.close();
    this.#unsubscribe();
    await this.transport.close();
  }

  /** Checks a subscribe input and capacity; returns the selectors. */
  #check(input: SubscribeInput): readonly string[] {
    if (this.#closed) throw hubClosed();
    const { maxTopicsPerSubscription, maxTopicLength } = this.#options;
    const topics = checkTopics(
      input.topics,
      maxTopicsPerSubscription,
      maxTopicLength,
      'subscription',
    );
    if (this.#index.size >= this.#options.maxSubscribers) {
      throw hubError(
        'SSE_ERR_TOO_MANY_SUBSCRIBERS',
        `This hub already serves its maximum of ${this.#options.maxSubscribers} subscribers; retry later.`,
      );
    }
    return topics;
  }

  /**
   * Indexes the subscriber (live updates are held for it from now on) and
   * returns where its replay ends: the same synchronous step, so replay and
   * live delivery split the stream exactly.
   */
  #register(subscriber: Subscriber): Position {
    this.#index.add(subscriber);
    return this.transport.livePosition();
  }

  #remove(subscriber: Subscriber, reason: DisconnectReason): void {
    if (!this.#index.remove(subscriber)) return;
    subscriber.closed = true;
    subscriber.held = undefined;
    this.#stats.disconnects[reason]++;
    this.#active?.left(subscriber);
  }

  /**
   * A subscription event: private, type `mercure`, its document as `data`
   * ([spec] Subscription Events). Dispatched even while the hub closes (its
   * subscribers' departures), and not bounded by the publish limits (a
   * matcher may be longer, encoded, than a published topic may be).
   */
  #publishOwn(document: SubscriptionDocument): Promise<void> {
    const { update, frame } = createUpdate(
      { topics: document.id, data: JSON.stringify(document), type: HUB_EVENT_TYPE, private: true },
      {
        maxTopicsPerUpdate: 1,
        maxTopicLength: Number.MAX_SAFE_INTEGER,
        maxDataBytes: Number.MAX_SAFE_INTEGER,
      },
      this.#options.generateId,
    );
    this.#frames.set(update, frame);
    return this.transport.dispatch(update);
  }

  #frameOf(update: Update): Buffer {
    let frame = this.#frames.get(update);
    if (frame === undefined) {
      frame = encodeUpdate(update);
      this.#frames.set(update, frame);
    }
    return frame;
  }

  /** The transport's listener: one call per update, whatever the number of subscribers. */
  #fanOut(update: Update, position: Position): void {
    if (this.#closed) return;
    const seq = ++this.#seq;
    this.#stats.updatesDispatched++;
    const frame = this.#frameOf(update);
    let delivered = 0;
    this.#index.forEachMatching(update, (subscriber) => {
      delivered += this.#offer(subscriber, update, frame, position, seq);
    });
    this.#stats.deliveries += delivered;
  }

  #offer(
    subscriber: Subscriber,
    update: Update,
    frame: Buffer,
    position: Position,
    seq: number,
  ): number {
    if (subscriber.lastSeq === seq) return 0;
    subscriber.lastSeq = seq;
    if (!this.#index.mayReceive(subscriber, update)) return 0;
    const held = subscriber.held;
    if (held === undefined) {
      const skip = subscriber.skipThrough;
      if (skip !== undefined) {
        if (position <= skip) return 0;
        subscriber.skipThrough = undefined;
      }
      subscriber.deliver(update, frame);
      return 1;
    }
    // Replaying: hold (bounded) until the replay is out.
    held.push({ update, position });
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
