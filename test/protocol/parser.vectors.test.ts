/**
 * Runs every spec vector (./vectors.ts) through the parser in every feeding
 * mode (whole, one byte or code point at a time, seeded random cuts, empty
 * chunks between) and through `createParserStream()`. The outcome must be the
 * same for every cut: [spec] the format is defined on the decoded stream, not
 * on how it arrives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom, splitBytesRandomly, splitStringRandomly } from '../helpers/chunks.js';
import { feedingModes, runParser, runStream, show, utf8, type Chunk } from './harness.js';
import { vectors, type Vector } from './vectors.js';

function expected(vector: Vector) {
  return {
    events: vector.events,
    retries: vector.retries ?? [],
    comments: vector.comments ?? [],
    errors: [],
  };
}

function checkParser(vector: Vector, mode: string, chunks: Chunk[]): void {
  const out = runParser(chunks, vector.options);
  const context = `${mode}: ${show(chunks)}`;
  assert.deepEqual(
    { events: out.events, retries: out.retries, comments: out.comments, errors: out.errors },
    expected(vector),
    context,
  );
  const lastEventId = vector.lastEventId ?? '';
  assert.equal(out.lastEventId, lastEventId, `parser.lastEventId, ${context}`);
  // [spec] "any pending data must be discarded": ending the stream (reset)
  // never dispatches the unterminated block, and reports nothing else either.
  assert.equal(out.resetReported, false, `reset() reported something, ${context}`);
  // [api] reset() keeps the last event ID string.
  assert.equal(out.lastEventIdAfterReset, lastEventId, `lastEventId after reset, ${context}`);
}

void describe('parser: spec vectors in every feeding mode', () => {
  void it('has a vector for every rule (at least 40), each named after its rule', () => {
    assert.ok(vectors.length >= 40, `only ${vectors.length} vectors`);
    const names = new Set(vectors.map((v) => v.name));
    assert.equal(names.size, vectors.length, 'vector names must be unique');
    for (const v of vectors) assert.match(v.name, /^\[(spec|encoding|api)\] /);
  });

  for (const vector of vectors) {
    void describe(vector.name, () => {
      void it('whole, one unit at a time, random cuts, empty chunks', () => {
        for (const { mode, chunks } of feedingModes(vector.input)) {
          checkParser(vector, mode, chunks);
        }
        if (vector.chunks) checkParser(vector, 'given chunks', vector.chunks);
      });

      void it('through createParserStream() (bytes and strings at random cuts)', async () => {
        const data = typeof vector.input === 'string' ? utf8(vector.input) : vector.input;
        const runs: { mode: string; chunks: Chunk[] }[] = [
          { mode: 'stream, bytes', chunks: splitBytesRandomly(data, seededRandom(7), 3) },
        ];
        if (typeof vector.input === 'string') {
          runs.push({
            mode: 'stream, strings',
            chunks: splitStringRandomly(vector.input, seededRandom(11), 3),
          });
        }
        for (const { mode, chunks } of runs) {
          const out = await runStream(chunks, vector.options);
          assert.deepEqual(out, expected(vector), `${mode}: ${show(chunks)}`);
        }
      });
    });
  }
});
