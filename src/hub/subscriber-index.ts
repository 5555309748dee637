/**
 * Which subscribers an update reaches, without testing every selector:
 *
 * - exact selectors (and malformed templates, which match only their own
 *   text): one Map lookup per topic of the update;
 * - `*`: one set;
 * - URI templates and URL patterns: grouped by selector (each distinct selector matched once
 *   per topic however many subscribers share it) and indexed by their
 *   literal prefix (the text before the first `{`, which every expansion
 *   starts with): a topic is tested only against templates whose prefix it
 *   starts with, found with one lookup per distinct prefix length.
 *
 * Selectors are compiled once while held (`selector-cache.ts`), subscription
 * and authorization selectors alike.
 *
 * [spec] Subscription: an update reaches a subscriber when at least one of
 * its topics (canonical or alternate) matches one of the subscriber's
 * selectors; a private one only when one of its topics also matches one of
 * the subscriber's authorized selectors (`mercure.subscribe`), independently
 * of which topic matched the subscription.
 */
import { SelectorCache } from './selector-cache.js';
import type { Subscriber } from './subscriber.js';
import type { CompiledSelector } from './topic-selector.js';
import type { Update } from './types.js';

interface TemplateGroup {
  readonly compiled: CompiledSelector;
  readonly prefix: string;
  readonly subscribers: Set<Subscriber>;
}

export class SubscriberIndex {
  readonly #cache = new SelectorCache();
  /** Exact selector (or malformed template) → subscribers. */
  readonly #exact = new Map<string, Set<Subscriber>>();
  /** Subscribers of `*`. */
  readonly #any = new Set<Subscriber>();
  /** Template (or URL pattern) selector → its group. */
  readonly #templates = new Map<string, TemplateGroup>();
  /** Literal prefix → the template groups with that prefix. */
  readonly #byPrefix = new Map<string, Set<TemplateGroup>>();
  /** Distinct prefix lengths (ascending) and how many prefixes have each. */
  #lengths: number[] = [];
  readonly #lengthCounts = new Map<number, number>();
  readonly #all = new Set<Subscriber>();

  get size(): number {
    return this.#all.size;
  }

  /** Distinct compiled selectors held now. */
  get compiledSelectors(): number {
    return this.#cache.size;
  }

  /** URI templates tested against a topic by fan-out since start. */
  templatesTested = 0;

  /** Every subscriber (a copy: safe to remove while iterating). */
  all(): Subscriber[] {
    return [...this.#all];
  }

  add(subscriber: Subscriber): void {
    this.#all.add(subscriber);
    for (const selector of subscriber.privateSelectors ?? []) this.#cache.acquire(selector);
    for (const selector of subscriber.selectors) {
      const compiled = this.#cache.acquire(selector);
      if (compiled.kind === 'any') this.#any.add(subscriber);
      else if (compiled.kind === 'template' || compiled.kind === 'pattern') {
        this.#group(compiled).subscribers.add(subscriber);
      } else if (compiled.topic !== undefined) {
        let set = this.#exact.get(compiled.topic);
        if (set === undefined) this.#exact.set(compiled.topic, (set = new Set()));
        set.add(subscriber);
      }
    }
  }

  /** Removes `subscriber`; `false` when it was not indexed. */
  remove(subscriber: Subscriber): boolean {
    if (!this.#all.delete(subscriber)) return false;
    for (const selector of subscriber.selectors) {
      const compiled = this.#cache.get(selector);
      if (compiled?.kind === 'any') this.#any.delete(subscriber);
      else if (compiled?.kind === 'template' || compiled?.kind === 'pattern') {
        const group = this.#templates.get(selector);
        group?.subscribers.delete(subscriber);
        if (group?.subscribers.size === 0) this.#ungroup(group);
      } else if (compiled?.topic !== undefined) {
        const set = this.#exact.get(compiled.topic);
        set?.delete(subscriber);
        if (set?.size === 0) this.#exact.delete(compiled.topic);
      }
      this.#cache.release(selector);
    }
    for (const selector of subscriber.privateSelectors ?? []) this.#cache.release(selector);
    return true;
  }

  /**
   * Calls `visit` for each subscriber one of whose selectors matches one of
   * the update's topics. A subscriber matched by several selectors may be
   * visited more than once (the caller dedupes); private authorization is
   * not checked here (see {@link mayReceive}).
   */
  forEachMatching(update: Update, visit: (subscriber: Subscriber) => void): void {
    for (const subscriber of this.#any) visit(subscriber);
    const lengths = this.#lengths;
    for (const topic of update.topics) {
      const exact = this.#exact.get(topic);
      if (exact !== undefined) for (const subscriber of exact) visit(subscriber);
      for (const length of lengths) {
        if (length > topic.length) break;
        const groups = this.#byPrefix.get(length === topic.length ? topic : topic.slice(0, length));
        if (groups === undefined) continue;
        for (const group of groups) {
          this.templatesTested++;
          if (!group.compiled.match(topic)) continue;
          for (const subscriber of group.subscribers) visit(subscriber);
        }
      }
    }
  }

  /** [spec] Subscription + Authorization: may `subscriber` get `update`? */
  matches(subscriber: Subscriber, update: Update): boolean {
    return (
      this.#matchAny(subscriber.selectors, update.topics) && this.mayReceive(subscriber, update)
    );
  }

  /**
   * [spec] "To receive updates marked as private, a subscriber MUST prove that
   * it is authorized for at least one of the topics of this update".
   */
  mayReceive(subscriber: Subscriber, update: Update): boolean {
    if (!update.private) return true;
    const allowed = subscriber.privateSelectors;
    return allowed !== undefined && this.#matchAny(allowed, update.topics);
  }

  #matchAny(selectors: readonly string[], topics: readonly string[]): boolean {
    for (const selector of selectors) {
      const compiled = this.#cache.get(selector);
      if (compiled === undefined) continue;
      for (const topic of topics) if (compiled.match(topic)) return true;
    }
    return false;
  }

  #group(compiled: CompiledSelector): TemplateGroup {
    let group = this.#templates.get(compiled.selector);
    if (group !== undefined) return group;
    // Every expansion of a URI template starts with the text before its first
    // `{`; a URL pattern has no such prefix here (it is tested for every topic).
    const prefix =
      compiled.kind === 'template'
        ? compiled.selector.slice(0, compiled.selector.indexOf('{'))
        : '';
    group = { compiled, prefix, subscribers: new Set() };
    this.#templates.set(compiled.selector, group);
    let groups = this.#byPrefix.get(group.prefix);
    if (groups === undefined) {
      this.#byPrefix.set(group.prefix, (groups = new Set()));
      this.#countLength(group.prefix.length, 1);
    }
    groups.add(group);
    return group;
  }

  #ungroup(group: TemplateGroup): void {
    this.#templates.delete(group.compiled.selector);
    const groups = this.#byPrefix.get(group.prefix);
    groups?.delete(group);
    if (groups?.size === 0) {
      this.#byPrefix.delete(group.prefix);
      this.#countLength(group.prefix.length, -1);
    }
  }

  #countLength(length: number, delta: 1 | -1): void {
    const count = (this.#lengthCounts.get(length) ?? 0) + delta;
    if (count === 0) this.#lengthCounts.delete(length);
    else this.#lengthCounts.set(length, count);
    if (count === 0 || (delta === 1 && count === 1)) {
      this.#lengths = [...this.#lengthCounts.keys()].sort((a, b) => a - b);
    }
  }
}
