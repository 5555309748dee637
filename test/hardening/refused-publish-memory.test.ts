/**
 * Finding 8: refused publishes retained memory. 300 publishes with ~1 MB
 * topics outside the token's scope (all 403) left +300 MB of heap after GC:
 * the authorization matcher cached a result per topic. Now topics are bounded
 * (413 before anything is matched) and nothing is cached for a refused
 * request: 300 refused publishes with topics at the limit leave the heap
 * where it was (after GC).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { publish, startHub, token, type TestHub } from '../hub-server/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

void describe('refused publishes leave nothing behind', () => {
  let hub: TestHub;
  let scoped: string;
  before(async () => {
    hub = await startHub({ anonymous: true });
    scoped = await token({ publish: ['https://example.com/mine/{id}'] });
  });
  after(() => hub.close());

  void it('a 1 MB topic is refused with 413 before authorization', async () => {
    const res = await publish(
      hub.hubUrl,
      { topic: `https://evil.example/${'x'.repeat(1_000_000)}` },
      scoped,
    );
    assert.equal(res.status, 413);
    assert.equal(res.text, '"topic" is longer than 2048 characters\n');
  });

  void it('300 publishes refused with 403 (topics at the length limit): heap flat after GC', async () => {
    const send = (i: number) =>
      publish(hub.hubUrl, { topic: `https://evil.example/${i}/${'y'.repeat(2000)}` }, scoped);
    for (let i = 0; i < 20; i++) assert.equal((await send(i)).status, 403); // warm-up
    const start = heapAfterGc();
    for (let i = 20; i < 320; i++) assert.equal((await send(i)).status, 403);
    const grown = heapAfterGc() - start;
    // 300 × 2 KB topics = 600 KB if any were kept; allow noise, not retention.
    assert.ok(grown < 2 * 1024 * 1024, `heap grew ${(grown / 1024).toFixed(0)} KB`);
  });
});
