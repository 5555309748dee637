/**
 * Helpers to cut one input into many chunks, the way a network does: at every
 * byte, at seeded random points, with empty chunks in between. A parser must
 * give the same result for every cut (after eventsource-parser's fixture
 * generators, rexxars/eventsource-parser test/fixtures.ts).
 */

/** A small seeded PRNG (mulberry32): the same seed always gives the same cuts. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sorted distinct cut points in (0, length), about `length / meanChunk` of them. */
function cutPoints(length: number, random: () => number, meanChunk: number): number[] {
  const cuts = new Set<number>();
  const count = length <= 1 ? 0 : Math.max(1, Math.round(length / meanChunk));
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
}

/** Cuts bytes anywhere, including inside a multi-byte UTF-8 sequence. */
export function splitBytesRandomly(
  bytes: Uint8Array,
  random: () => number,
  meanChunk = 4,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of cutPoints(bytes.length, random, meanChunk)) {
    out.push(bytes.subarray(start, cut));
    start = cut;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** One chunk per byte. */
export function splitBytesEach(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
  return out;
}

/**
 * The code points of a string. A surrogate pair stays together; a lone
 * surrogate is its own element. Cutting a JS string between the two halves of
 * a pair would hand the parser half a character, which no string source does.
 */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/** Cuts a string at random code point boundaries. */
export function splitStringRandomly(text: string, random: () => number, meanChunk = 3): string[] {
  const points = codePoints(text);
  const out: string[] = [];
  let start = 0;
  for (const cut of cutPoints(points.length, random, meanChunk)) {
    out.push(points.slice(start, cut).join(''));
    start = cut;
  }
  out.push(points.slice(start).join(''));
  return out;
}

/** Puts an empty chunk before, between and after the given ones. */
export function withEmptyChunks<T extends string | Uint8Array>(chunks: T[], empty: T): T[] {
  const out: T[] = [empty];
  for (const chunk of chunks) out.push(chunk, empty);
  return out;
}

/** A web ReadableStream that yields the given chunks, then closes. */
export function readableFrom<T>(chunks: readonly T[]): ReadableStream<T> {
  let index = 0;
  return new ReadableStream<T>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

/** Reads a web ReadableStream to its end. Rejects with the stream's error. */
export async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const out: T[] = [];
  for (;;) {
    const result = await reader.read();
    if (result.done) return out;
    out.push(result.value);
  }
}
