/**
 * Compiled topic selectors, shared and reference-counted: a selector is
 * compiled once for as long as some subscriber holds it (as a subscription
 * selector or as an authorized `mercure.subscribe` selector), and dropped
 * when the last one leaves. Matching cost therefore never depends on cache
 * luck (a bounded cache that many distinct selectors could thrash), and
 * memory follows the selectors in use, not the selectors ever seen.
 */
import { compileSelector, type CompiledSelector } from './topic-selector.js';

interface Held {
  readonly compiled: CompiledSelector;
  refs: number;
}

export class SelectorCache {
  readonly #held = new Map<string, Held>();

  /** The compiled selector; call {@link release} once per acquire. */
  acquire(selector: string): CompiledSelector {
    let held = this.#held.get(selector);
    if (held === undefined) {
      held = { compiled: compileSelector(selector), refs: 0 };
      this.#held.set(selector, held);
    }
    held.refs++;
    return held.compiled;
  }

  /** The compiled selector of a held selector (`acquire` was called for it). */
  get(selector: string): CompiledSelector | undefined {
    return this.#held.get(selector)?.compiled;
  }

  release(selector: string): void {
    const held = this.#held.get(selector);
    if (held === undefined) return;
    if (--held.refs === 0) this.#held.delete(selector);
  }

  /** Distinct selectors compiled now (for tests and diagnostics). */
  get size(): number {
    return this.#held.size;
  }
}
