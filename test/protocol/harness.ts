/**
 * Runs the parser over chunked input and records everything it reports, so a
 * test can compare the whole outcome in one assertion.
 */
import {
  createParser,
  createParserStream,
  type ParsedEvent,
  type ParserOptions,
  type SseError,
} from '../../src/protocol/index.js';
import {
  readAll,
  readableFrom,
  seededRandom,
  splitBytesEach,
  splitBytesRandomly,
  splitStringRandomly,
  codePoints,
  withEmptyChunks,
} from '../helpers/chunks.js';

export type Chunk = string | Uint8Array;

export interface Outcome {
  events: ParsedEvent[];
  retries: number[];
  comments: string[];
  errors: SseError[];
}

export interface ParserOutcome extends Outcome {
  /** `parser.lastEventId` after the last chunk. */
  lastEventId: string;
  /** Whether `reset()` after the last chunk reported anything (it must not). */
  resetReported: boolean;
  /** `parser.lastEventId` after that `reset()` (kept, per the API). */
  lastEventIdAfterReset: string;
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes from text parts (UTF-8 encoded) and raw byte arrays, in order. */
export function bytes(...parts: (string | readonly number[])[]): Uint8Array {
  const arrays = parts.map((part) =>
    typeof part === 'string' ? utf8(part) : Uint8Array.from(part),
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Only the three fields the API defines, so extra properties never matter. */
export function plain(event: ParsedEvent): ParsedEvent {
  return { type: event.type, data: event.data, lastEventId: event.lastEventId };
}

/** An expected event; type defaults to "message", lastEventId to "". */
export function ev(data: string, init: { type?: string; id?: string } = {}): ParsedEvent {
  return { type: init.type ?? 'message', data, lastEventId: init.id ?? '' };
}

/** Feeds `chunks` to one parser with every callback set, then calls `reset()`. */
export function runParser(chunks: readonly Chunk[], options?: ParserOptions): ParserOutcome {
  const outcome: Outcome = { events: [], retries: [], comments: [], errors: [] };
  const parser = createParser(
    {
      onEvent: (event) => outcome.events.push(plain(event)),
      onRetry: (ms) => outcome.retries.push(ms),
      onComment: (text) => outcome.comments.push(text),
      onError: (error) => outcome.errors.push(error),
    },
    options,
  );
  for (const chunk of chunks) parser.feed(chunk);
  const lastEventId = parser.lastEventId;
  const before = countReports(outcome);
  parser.reset();
  return {
    ...outcome,
    lastEventId,
    resetReported: countReports(outcome) !== before,
    lastEventIdAfterReset: parser.lastEventId,
  };
}

function countReports(o: Outcome): number {
  return o.events.length + o.retries.length + o.comments.length + o.errors.length;
}

/** Pipes `chunks` through `createParserStream()` and collects what comes out. */
export async function runStream(
  chunks: readonly Chunk[],
  options: ParserOptions = {},
): Promise<Outcome> {
  const outcome: Outcome = { events: [], retries: [], comments: [], errors: [] };
  const events = await readAll(
    readableFrom(chunks).pipeThrough(
      createParserStream({
        ...options,
        onRetry: (ms: number) => outcome.retries.push(ms),
        onComment: (text: string) => outcome.comments.push(text),
        onError: (error: SseError) => outcome.errors.push(error),
      }),
    ),
  );
  outcome.events = events.map(plain);
  return outcome;
}

export interface FeedingMode {
  mode: string;
  chunks: Chunk[];
}

export const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Every way the tests cut one input. String input is cut only at code point
 * boundaries; its UTF-8 bytes are cut anywhere, also inside a character.
 */
export function feedingModes(input: string | Uint8Array): FeedingMode[] {
  const modes: FeedingMode[] = [];
  if (typeof input === 'string') {
    modes.push({ mode: 'whole string', chunks: [input] });
    modes.push({ mode: 'one code point at a time', chunks: codePoints(input) });
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const chunks = splitStringRandomly(input, random, 1 + Math.floor(random() * 8));
      modes.push({ mode: `string split at random code points (seed ${seed})`, chunks });
    }
    modes.push({
      mode: 'string split at random points with empty chunks between',
      chunks: withEmptyChunks(splitStringRandomly(input, seededRandom(99)), ''),
    });
  }
  const data = typeof input === 'string' ? utf8(input) : input;
  modes.push({ mode: 'whole bytes', chunks: [data] });
  modes.push({ mode: 'one byte at a time', chunks: splitBytesEach(data) });
  for (const seed of SEEDS) {
    const random = seededRandom(seed);
    const chunks = splitBytesRandomly(data, random, 1 + Math.floor(random() * 8));
    modes.push({ mode: `bytes split at random points (seed ${seed})`, chunks });
  }
  modes.push({
    mode: 'bytes one at a time with empty chunks between',
    chunks: withEmptyChunks(splitBytesEach(data), new Uint8Array(0)),
  });
  return modes;
}

/** Printable form of a chunk list for assertion messages. */
export function show(chunks: readonly Chunk[]): string {
  return JSON.stringify(
    chunks.map((c) => (typeof c === 'string' ? c : `bytes[${Array.from(c).join(',')}]`)),
  );
}
