/**
 * Protocol micro-benchmark: ssehub's parser and encoder against
 * `eventsource-parser` (3.x and 4.x) and `eventsource-encoder`, on the same
 * input, in the same run, interleaved round by round so drift hits all alike.
 *
 *   npm run bench:protocol                          # mixed workload, ~16 MiB, 15 rounds
 *   npm run bench:protocol -- --workload ticker     # small events only
 *   npm run bench:protocol -- --mib 32 --rounds 25 --chunk 16384 --seed 7
 *
 * Workloads, each cut into fixed-size chunks at arbitrary points (as a socket
 * delivers them):
 * - `mixed` (default): mixed event sizes (mostly small JSON, some kilobyte
 *   payloads, a few tens of kilobytes), an id on every event, named types on
 *   half, multi-line data on a third, heartbeat comments and the odd retry.
 * - `ticker`: what a price feed or a token stream sends: small single-line
 *   JSON events (40-200 characters), an id on each, a named type on half.
 * Every parser must report the same events (count and checksum) or the run
 * fails.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createParser as createEsParser3 } from 'eventsource-parser';
import { createParser as createEsParser4 } from 'eventsource-parser-v4';
import { encode as esEncode } from 'eventsource-encoder';
import { createParser, encodeEvent } from '../src/protocol/index.js';
import type { EventInit } from '../src/protocol/index.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '15' },
    chunk: { type: 'string', default: '16384' },
    seed: { type: 'string', default: '42' },
    workload: { type: 'string', default: 'mixed' },
  },
});
const targetBytes = Number(args.mib) * 1024 * 1024;
const rounds = Number(args.rounds);
const chunkSize = Number(args.chunk);

/** mulberry32: a small seeded PRNG, so every run sees the same input. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(Number(args.seed));
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const WORDS = [
  'price',
  'AAPL',
  'update',
  'naïve',
  'Zürich',
  '€',
  '日本語',
  'ok',
  'status',
  '42.17',
];
function text(length: number): string {
  let s = '';
  while (s.length < length) s += pick(WORDS) + ' ';
  return s.slice(0, length);
}
const ticker = args.workload === 'ticker';
if (!ticker && args.workload !== 'mixed') throw new Error('--workload must be mixed or ticker');
function payload(): string {
  if (ticker) {
    return JSON.stringify({
      s: pick(WORDS),
      p: Math.round(rnd() * 1e6) / 100,
      t: text(rnd() * 160),
    });
  }
  const r = rnd();
  const size = r < 0.7 ? 20 + rnd() * 180 : r < 0.95 ? 1024 + rnd() * 3072 : 16384 + rnd() * 49152;
  if (rnd() < 0.33) {
    const lines = 3 + Math.floor(rnd() * 8);
    const parts: string[] = [];
    for (let i = 0; i < lines; i++) parts.push(text(Math.ceil(size / lines)));
    return parts.join('\n');
  }
  return JSON.stringify({ seq: Math.floor(rnd() * 1e9), body: text(size) });
}

// Build the event list and its encoding.
const events: EventInit[] = [];
let streamText = '';
let seq = 0;
while (streamText.length < targetBytes) {
  const r = rnd();
  if (r < 0.03 && !ticker) {
    streamText += ': heartbeat\n\n';
    continue;
  }
  const event: EventInit = { id: String(++seq), data: payload() };
  if (rnd() < 0.5) event.event = pick(['tick', 'quote', 'alert', 'notice']);
  if (r > 0.995 && !ticker) event.retry = 3000;
  events.push(event);
  streamText += encodeEvent(event);
}
const streamBytes = new TextEncoder().encode(streamText);
const textChunks: string[] = [];
for (let i = 0; i < streamText.length; i += chunkSize) {
  textChunks.push(streamText.slice(i, i + chunkSize));
}
const byteChunks: Uint8Array[] = [];
for (let i = 0; i < streamBytes.length; i += chunkSize) {
  byteChunks.push(streamBytes.subarray(i, i + chunkSize));
}
const mib = streamBytes.length / (1024 * 1024);

interface Outcome {
  events: number;
  checksum: number;
}
interface Contender {
  name: string;
  run(): Outcome;
}

function ssehubText(): Outcome {
  const out = { events: 0, checksum: 0 };
  const parser = createParser({
    onEvent(e) {
      out.events++;
      out.checksum += e.data.length + e.lastEventId.length + e.type.length;
    },
  });
  for (const c of textChunks) parser.feed(c);
  return out;
}
function ssehubBytes(): Outcome {
  const out = { events: 0, checksum: 0 };
  const parser = createParser({
    onEvent(e) {
      out.events++;
      out.checksum += e.data.length + e.lastEventId.length + e.type.length;
    },
  });
  for (const c of byteChunks) parser.feed(c);
  return out;
}
type EsParserFactory = typeof createEsParser3;
function esText(factory: EsParserFactory): Outcome {
  const out = { events: 0, checksum: 0 };
  let lastId = '';
  const parser = factory({
    onEvent(e) {
      out.events++;
      if (e.id !== undefined) lastId = e.id;
      out.checksum += e.data.length + lastId.length + (e.event ?? 'message').length;
    },
  });
  for (const c of textChunks) parser.feed(c);
  return out;
}
function esBytes(factory: EsParserFactory): Outcome {
  const out = { events: 0, checksum: 0 };
  let lastId = '';
  const parser = factory({
    onEvent(e) {
      out.events++;
      if (e.id !== undefined) lastId = e.id;
      out.checksum += e.data.length + lastId.length + (e.event ?? 'message').length;
    },
  });
  // eventsource-parser takes text: decode as its users do, with a streaming TextDecoder.
  const decoder = new TextDecoder();
  for (const c of byteChunks) parser.feed(decoder.decode(c, { stream: true }));
  return out;
}

const parsers: Contender[] = [
  { name: 'ssehub (text chunks)', run: ssehubText },
  { name: 'eventsource-parser 3.1 (text chunks)', run: () => esText(createEsParser3) },
  {
    name: 'eventsource-parser 4.1 (text chunks)',
    run: () => esText(createEsParser4),
  },
  { name: 'ssehub (byte chunks)', run: ssehubBytes },
  {
    name: 'eventsource-parser 3.1 (byte chunks + TextDecoder)',
    run: () => esBytes(createEsParser3),
  },
  {
    name: 'eventsource-parser 4.1 (byte chunks + TextDecoder)',
    run: () => esBytes(createEsParser4),
  },
];

function encodeOurs(): Outcome {
  let bytes = 0;
  for (const e of events) bytes += encodeEvent(e).length;
  return { events: events.length, checksum: bytes };
}
function encodeTheirs(): Outcome {
  let bytes = 0;
  for (const e of events) {
    bytes += esEncode({
      data: e.data ?? '',
      ...(e.event !== undefined && { event: e.event }),
      ...(e.id !== undefined && { id: e.id }),
      ...(e.retry !== undefined && { retry: e.retry }),
    }).length;
  }
  return { events: events.length, checksum: bytes };
}
const encoders: Contender[] = [
  { name: 'ssehub encodeEvent', run: encodeOurs },
  { name: 'eventsource-encoder 1.0', run: encodeTheirs },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function measure(group: Contender[], checkSame: boolean): Map<string, number[]> {
  const times = new Map<string, number[]>(group.map((c) => [c.name, []]));
  let reference: Outcome | undefined;
  // Warm-up rounds, with the correctness check.
  for (let i = 0; i < 3; i++) {
    for (const c of group) {
      const outcome = c.run();
      if (!checkSame) continue;
      reference ??= outcome;
      if (outcome.events !== reference.events || outcome.checksum !== reference.checksum) {
        throw new Error(
          `${c.name} disagrees: ${outcome.events} events / ${outcome.checksum} vs ${reference.events} / ${reference.checksum}`,
        );
      }
    }
  }
  for (let r = 0; r < rounds; r++) {
    // Rotate the order every round so no contender always runs first.
    for (let k = 0; k < group.length; k++) {
      const c = group[(k + r) % group.length] as Contender;
      const t0 = performance.now();
      c.run();
      times.get(c.name)?.push(performance.now() - t0);
    }
  }
  return times;
}

console.log(
  `workload ${args.workload}: ${mib.toFixed(1)} MiB, ${events.length} events (+ comments), chunks of ${chunkSize} B, ` +
    `seed ${args.seed}, ${rounds} rounds, node ${process.version}`,
);

const parseTimes = measure(parsers, true);
console.log('\n| parser | median ms | MB/s | events/s | vs eventsource-parser 3.1 | vs 4.1 |');
console.log('|---|---:|---:|---:|---:|---:|');
const base3 = (kind: string) => median(parseTimes.get(`eventsource-parser 3.1 (${kind})`) ?? []);
const base4 = (kind: string) => median(parseTimes.get(`eventsource-parser 4.1 (${kind})`) ?? []);
for (const c of parsers) {
  const ms = median(parseTimes.get(c.name) ?? []);
  const kind = c.name.includes('byte') ? 'byte chunks + TextDecoder' : 'text chunks';
  const mbs = streamBytes.length / 1e6 / (ms / 1000);
  const eps = events.length / (ms / 1000);
  console.log(
    `| ${c.name} | ${ms.toFixed(1)} | ${mbs.toFixed(0)} | ${Math.round(eps).toLocaleString('en-US')} | ` +
      `${(base3(kind) / ms).toFixed(2)}× | ${(base4(kind) / ms).toFixed(2)}× |`,
  );
}

const encodeTimes = measure(encoders, false);
console.log('\n| encoder | median ms | MB/s (output) | events/s | vs eventsource-encoder |');
console.log('|---|---:|---:|---:|---:|');
const encBase = median(encodeTimes.get('eventsource-encoder 1.0') ?? []);
for (const c of encoders) {
  const ms = median(encodeTimes.get(c.name) ?? []);
  const mbs = streamBytes.length / 1e6 / (ms / 1000);
  const eps = events.length / (ms / 1000);
  console.log(
    `| ${c.name} | ${ms.toFixed(1)} | ${mbs.toFixed(0)} | ${Math.round(eps).toLocaleString('en-US')} | ` +
      `${(encBase / ms).toFixed(2)}× |`,
  );
}
