/**
 * A small seeded PRNG (mulberry32) so that every fuzz case is a pure function
 * of `(seed, case index)`: `--seed S --case N` regenerates case N exactly.
 */

/** 32-bit FNV-1a of a string: turns `--seed` text into a number. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The generator of case `index` under `seed`. */
  static forCase(seed: number, index: number): Rng {
    return new Rng(hash32(`${String(seed)}:${String(index)}`));
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** A size skewed towards small values, sometimes huge: 0..max. */
  size(max: number): number {
    const r = this.next();
    if (r < 0.6) return this.int(Math.min(max, 16) + 1);
    if (r < 0.85) return this.int(Math.min(max, 256) + 1);
    if (r < 0.95) return this.int(Math.min(max, 4096) + 1);
    return this.int(max + 1);
  }

  /**
   * A string of `length` characters drawn from `alphabet` (beyond 4 KiB, a
   * random 4 KiB block repeated: long inputs stay cheap to make).
   */
  string(length: number, alphabet: string): string {
    let out = '';
    const unique = Math.min(length, 4096);
    for (let i = 0; i < unique; i++) out += alphabet[this.int(alphabet.length)] ?? '';
    return length === unique ? out : out.repeat(Math.ceil(length / unique)).slice(0, length);
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}
