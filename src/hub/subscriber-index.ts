/**
 * Which subscribers an update reaches: subscribers indexed by exact topic
 * (one Map lookup per topic of the update), and selector subscribers (`*`,
 * URI templates) grouped by selector, so each distinct selector is matched
 * once per update however many subscribers share it.
 *
 * [spec] Subscription: an update reaches a subscriber when at least one of
 * its topics (canonical or alternate) matches one of the subscriber's
 * selectors; a private one only when one of its topics also matches one of
 * the subscriber's authorized selectors (`mercure.subscribe`), independently
 * of which topic matched the subscription.
 */
import type { Subscriber } from './subscriber.js';
import { TopicMatcher, isExactSelector } from './topic-selector.js';
import type { Update } from './types.js';

export class SubscriberIndex {
  readonly #matcher = new TopicMatcher();
  /** Exact selector → subscribers. */
  readonly #exact = new Map<string, Set<Subscriber>>();
  /** Template / `*` selector → subscribers. */
  readonly #patterns = new Map<string, Set<Subscriber>>();
  readonly #all = new Set<Subscriber>();

  get size(): number {
    return this.#all.size;
  }

  /** Every subscriber (a copy: safe to remove while iterating). */
  all(): Subscriber[] {
    return [...this.#all];
  }

  add(subscriber: Subscriber): void {
    this.#all.add(subscriber);
    for (const selector of subscriber.selectors) {
      const index = isExactSelector(selector) ? this.#exact : this.#patterns;
      let set = index.get(selector);
      if (set === undefined) index.set(selector, (set = new Set()));
      set.add(subscriber);
    }
  }

  /** Removes `subscriber`; `false` when it was not indexed. */
  remove(subscriber: Subscriber): boolean {
    if (!this.#all.delete(subscriber)) return false;
    for (const selector of subscriber.selectors) {
      const index = isExactSelector(selector) ? this.#exact : this.#patterns;
      const set = index.get(selector);
      if (set === undefined) continue;
      set.delete(subscriber);
      if (set.size === 0) index.delete(selector);
    }
    return true;
  }

  /**
   * Calls `visit` for each subscriber one of whose selectors matches one of
   * the update's topics. A subscriber matched by several selectors may be
   * visited more than once (the caller dedupes); private authorization is
   * not checked here (see {@link mayReceive}).
   */
  forEachMatching(update: Update, visit: (subscriber: Subscriber) => void): void {
    const topics = update.topics;
    for (const topic of topics) {
      const set = this.#exact.get(topic);
      if (set !== undefined) for (const subscriber of set) visit(subscriber);
    }
    if (this.#patterns.size === 0) return;
    const matcher = this.#matcher;
    for (const [selector, set] of this.#patterns) {
      if (!matchesAnyTopic(matcher, selector, topics)) continue;
      for (const subscriber of set) visit(subscriber);
    }
  }

  /** [spec] Subscription + Authorization: may `subscriber` get `update`? */
  matches(subscriber: Subscriber, update: Update): boolean {
    if (!this.#matcher.matchAny(subscriber.selectors, update.topics)) return false;
    return this.mayReceive(subscriber, update);
  }

  /**
   * [spec] "To receive updates marked as private, a subscriber MUST prove that
   * it is authorized for at least one of the topics of this update".
   */
  mayReceive(subscriber: Subscriber, update: Update): boolean {
    if (!update.private) return true;
    const allowed = subscriber.privateSelectors;
    return allowed !== undefined && this.#matcher.matchAny(allowed, update.topics);
  }
}

function matchesAnyTopic(matcher: TopicMatcher, selector: string, topics: readonly string[]) {
  for (const topic of topics) if (matcher.match(selector, topic)) return true;
  return false;
}
