/**
 * Where the hub keeps the list of active subscriptions ([spec] Active
 * Subscriptions), so that the subscription API can list them: one small
 * seam, two implementations.
 *
 * - {@link MemorySubscriptionRegistry} (here): this process's subscriptions
 *   only. The memory and file transports serve one process, so that is the
 *   whole list (`ssehub serve --workers N` without Redis refuses
 *   `--subscriptions` for that reason).
 * - The Redis one (`transports/redis/subscription-registry.ts`, handed out
 *   by the transport's `subscriptionRegistry()`): every process's, each
 *   process's records under a lease it renews; a process that stops renewing
 *   (SIGKILL, lost host) is reaped by a survivor, which announces its
 *   subscriptions terminated.
 *
 * Ordering contract (what makes "list, then subscribe with `last_event_id`"
 * miss nothing): the hub changes the registry first and publishes the
 * subscription event after, and the API reads the cursor (the last event id)
 * before it reads the list. So every event at or before the cursor is already
 * reflected in the list; events after it may repeat what the list shows, and
 * applying them again changes nothing.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#active-subscriptions
 */

/**
 * One subscription as the API and the events show it ([spec] Subscription
 * Events: the JSON members, in the spec's names).
 */
export interface SubscriptionDocument {
  /** The subscription event's topic: `{hub path}/subscriptions/{match_type}/{match}/{subscriber}`. */
  readonly id: string;
  readonly type: 'subscription';
  /** `exact`, `urlpattern`, or `uritemplate` for a pre-1.0 `topic=` selector. */
  readonly match_type: string;
  /** The matcher (the selector as the client wrote it). */
  readonly match: string;
  /** Pre-1.0 subscriptions only: the `topic` selector (the pre-1.0 member's name). */
  readonly topic?: string | undefined;
  /** The hub-generated `urn:uuid:…` of the connection. */
  readonly subscriber: string;
  readonly active: boolean;
  /** The token's payload for this subscription ([spec] Payloads); absent when none. */
  readonly payload?: unknown;
}

/** What a registry tells the hub while it runs. */
export interface RegistryEvents {
  /**
   * Subscriptions of a process that stopped renewing its lease, claimed by
   * this process (exactly one process claims each): announce them inactive.
   */
  orphaned(documents: readonly SubscriptionDocument[]): void;
  /**
   * This process's own records were dropped (its lease lapsed while it was
   * cut off from the store): add them again and announce them again.
   */
  lost(): void;
}

/** The seam. Every method may reject when the backing store is unreachable. */
export interface SubscriptionRegistry {
  /** Starts renewing and reaping (a no-op for the memory registry). */
  start(events: RegistryEvents): void;
  /** Adds subscriptions of this process; resolves once every process can list them. */
  add(documents: readonly SubscriptionDocument[]): Promise<void>;
  /** Removes subscriptions of this process by id. */
  remove(ids: readonly string[]): Promise<void>;
  /** Every active subscription (every process's, for a shared registry). */
  list(): Promise<readonly SubscriptionDocument[]>;
  /** Stops renewing and removes what this process still has listed. */
  close(): Promise<void>;
}

/** Options a transport's shared registry takes. */
export interface SubscriptionRegistryOptions {
  /**
   * How often a process renews its lease, in ms. A process that stops is
   * reaped, and its subscriptions announced inactive, within 3 × this.
   *
   * @default 1000
   */
  readonly leaseInterval?: number | undefined;
  /** Told about store errors (the registry keeps going). @default a no-op */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** One process's list, in memory. */
export class MemorySubscriptionRegistry implements SubscriptionRegistry {
  readonly #documents = new Map<string, SubscriptionDocument>();

  start(): void {
    // Nothing to renew: the list lives and dies with the process.
  }

  add(documents: readonly SubscriptionDocument[]): Promise<void> {
    for (const document of documents) this.#documents.set(document.id, document);
    return Promise.resolve();
  }

  remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#documents.delete(id);
    return Promise.resolve();
  }

  list(): Promise<readonly SubscriptionDocument[]> {
    return Promise.resolve([...this.#documents.values()]);
  }

  close(): Promise<void> {
    this.#documents.clear();
    return Promise.resolve();
  }
}
