/**
 * Active subscriptions ([spec] Active Subscriptions), the hub's side: when a
 * subscriber joins or leaves, its subscriptions (one per selector) are added
 * to or removed from the {@link SubscriptionRegistry}, then announced as
 * private updates of type `mercure` ([spec] Subscription Events).
 *
 * - Topic and `id`: `{hub path}/subscriptions/{match_type}/{match}/{subscriber}`,
 *   each variable percent-encoded exactly once, as a whole ([spec] "MUST be
 *   percent-encoded exactly once during expansion": RFC 6570 simple string
 *   expansion, everything but the unreserved characters).
 * - `subscriber`: a `urn:uuid:` generated here per connection ([spec] "Subscribers
 *   and publishers MUST NOT forge, supply, or override this value"), shared
 *   by the connection's subscriptions.
 * - `match_type`: `exact` or `urlpattern` for 1.0 matchers; a pre-1.0 `topic=`
 *   selector (an exact topic, `*` or an RFC 6570 URI template) is listed as
 *   `uritemplate` (a template without expressions matches only itself) and
 *   keeps its pre-1.0 member `topic` too.
 * - `payload`: the token's payload for the subscription ([spec] Payloads: the
 *   first `subscribe` detail matching the subscription's matcher; pre-1.0:
 *   `mercure.payload`).
 *
 * Order: one chain per subscriber, so its "left" never overtakes its
 * "joined"; registry first, event after (see the registry's ordering
 * contract).
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#subscription-events
 */
import { selectorSpec } from './selector-key.js';
import type { Subscriber } from './subscriber.js';
import type {
  RegistryEvents,
  SubscriptionDocument,
  SubscriptionRegistry,
} from './subscription-registry.js';

/** The `match_type` under which pre-1.0 `topic=` selectors are listed. */
export const LEGACY_MATCH_TYPE = 'uritemplate';

/** The SSE event type of the hub's own updates ([spec] "the reserved value `mercure`"). */
export const HUB_EVENT_TYPE = 'mercure';

/**
 * [RFC 6570 §3.2.1] simple string expansion: every character outside the
 * unreserved set (ALPHA, DIGIT, `-._~`) percent-encoded as UTF-8, `%` itself
 * included (so an already-encoded value is encoded once more, as a whole).
 */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Publishes one subscription document as the hub's private `mercure` update. */
export type PublishDocument = (document: SubscriptionDocument) => Promise<void>;

/** Options of {@link ActiveSubscriptions}. */
export interface ActiveSubscriptionsOptions {
  /** The path of the hub's URL (the topics' prefix). */
  readonly hubPath: string;
  readonly registry: SubscriptionRegistry;
  readonly publish: PublishDocument;
  /** Told when the registry or a publish failed. */
  readonly onError: (error: unknown) => void;
  /** @default () => `urn:uuid:${crypto.randomUUID()}` */
  readonly generateSubscriberId?: (() => string) | undefined;
}

export class ActiveSubscriptions {
  readonly hubPath: string;
  readonly registry: SubscriptionRegistry;
  readonly #publish: PublishDocument;
  readonly #onError: (error: unknown) => void;
  readonly #newId: () => string;
  /** This process's joined subscribers and their documents. */
  readonly #local = new Map<Subscriber, readonly SubscriptionDocument[]>();
  /** Per subscriber, the last registry + event step not finished yet. */
  readonly #chains = new Map<Subscriber, Promise<void>>();
  /** Steps for no one subscriber (orphans, re-announcements). */
  readonly #other = new Set<Promise<void>>();

  constructor(options: ActiveSubscriptionsOptions) {
    this.hubPath = options.hubPath.replace(/\/$/, '');
    this.registry = options.registry;
    this.#publish = options.publish;
    this.#onError = options.onError;
    this.#newId =
      options.generateSubscriberId ?? (() => `urn:uuid:${globalThis.crypto.randomUUID()}`);
    const events: RegistryEvents = {
      orphaned: (documents) => {
        this.#track(this.#announce(documents.map((d) => ({ ...d, active: false }))));
      },
      lost: () => {
        // A failed re-add is retried at the next lease check.
        const documents = [...this.#local.values()].flat();
        this.#track(
          this.registry.add(documents).then(async () => {
            // A subscriber that left meanwhile must not stay listed.
            const current = new Set([...this.#local.values()].flat());
            const gone = documents.filter((d) => !current.has(d));
            if (gone.length > 0) await this.registry.remove(gone.map((d) => d.id));
            await this.#announce(documents.filter((d) => current.has(d)));
          }),
        );
      },
    };
    this.registry.start(events);
  }

  /** The prefix of every subscription topic and API URL. */
  get collectionPath(): string {
    return `${this.hubPath}/subscriptions`;
  }

  /** The documents of one subscriber's subscriptions (one per selector). */
  documentsOf(subscriber: Subscriber, subscriberId: string): SubscriptionDocument[] {
    const claims = subscriber.claims;
    return subscriber.selectors.map((selector) => {
      const spec = selectorSpec(selector);
      const matchType = spec.type === 'legacy' ? LEGACY_MATCH_TYPE : spec.type;
      const payload =
        claims?.payloadFor !== undefined ? claims.payloadFor(selector) : claims?.payload;
      return {
        id: `${this.collectionPath}/${encodeSegment(matchType)}/${encodeSegment(spec.value)}/${encodeSegment(subscriberId)}`,
        type: 'subscription',
        match_type: matchType,
        match: spec.value,
        ...(spec.type === 'legacy' ? { topic: spec.value } : {}),
        subscriber: subscriberId,
        active: true,
        ...(payload === undefined ? {} : { payload }),
      };
    });
  }

  /** A subscriber is connected: list and announce its subscriptions. */
  joined(subscriber: Subscriber): void {
    if (this.#local.has(subscriber)) return;
    const documents = this.documentsOf(subscriber, this.#newId());
    this.#local.set(subscriber, documents);
    this.#chain(subscriber, async () => {
      await this.registry.add(documents);
      await this.#announce(documents);
    });
  }

  /** A subscriber left: unlist and announce its subscriptions terminated. */
  left(subscriber: Subscriber): void {
    const documents = this.#local.get(subscriber);
    if (documents === undefined) return;
    this.#local.delete(subscriber);
    this.#chain(subscriber, async () => {
      await this.registry.remove(documents.map((d) => d.id));
      await this.#announce(documents.map((d) => ({ ...d, active: false })));
    });
  }

  /** Every active subscription the registry lists. */
  list(): Promise<readonly SubscriptionDocument[]> {
    return this.registry.list();
  }

  /** Waits for the pending steps, then closes the registry. */
  async close(): Promise<void> {
    await Promise.all([...this.#chains.values(), ...this.#other]);
    await this.registry.close().catch(this.#onError);
  }

  async #announce(documents: readonly SubscriptionDocument[]): Promise<void> {
    await Promise.all(documents.map((document) => this.#publish(document)));
  }

  #chain(subscriber: Subscriber, step: () => Promise<void>): void {
    const previous = this.#chains.get(subscriber) ?? Promise.resolve();
    const next = previous.then(step).catch(this.#onError);
    this.#chains.set(subscriber, next);
    void next.then(() => {
      if (this.#chains.get(subscriber) === next) this.#chains.delete(subscriber);
    });
  }

  #track(step: Promise<void>): void {
    const tracked = step.catch(this.#onError);
    this.#other.add(tracked);
    void tracked.then(() => this.#other.delete(tracked));
  }
}
