/**
 * Reconnection timing on fake timers and a scripted fetch: the browser's
 * fixed reconnection time by default, the opt-in backoff (growth, cap,
 * jitter bounds, reset after a connection opens, the server's `retry:` as a
 * floor), maxRetries, and close() from inside onerror. No test sleeps: each
 * fires the timer the client asked for and checks the delay it asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSource, type EventSourceOptions } from '../../src/client/index.js';
import { reconnectDelay, MAX_DELAY_MS } from '../../src/client/backoff.js';
import { seededRandom } from '../helpers/chunks.js';
import {
  failures,
  FakeTimers,
  openResponse,
  Recorder,
  ScriptedFetch,
  sseResponse,
  type Step,
} from './helpers.js';

const URL_ = 'https://hub.example/events';

function start(
  steps: Step[],
  options: EventSourceOptions = {},
): { source: EventSource; rec: Recorder; timers: FakeTimers; scripted: ScriptedFetch } {
  const timers = new FakeTimers();
  const scripted = new ScriptedFetch(steps);
  const source = new EventSource(URL_, { timers, fetch: scripted.fetch, ...options });
  return { source, rec: new Recorder(source), timers, scripted };
}

const ended = (...chunks: string[]): Step => ({
  kind: 'response',
  response: () => sseResponse(chunks),
});

/** Fires `n` reconnection timers, waiting for each error; returns the delays. */
async function delaysOf(rec: Recorder, timers: FakeTimers, n: number): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const error = await rec.errors.next();
    assert.equal(error.reconnectDelay, timers.pending[0]);
    delays.push(timers.fireNext());
  }
  return delays;
}

void describe('reconnection time (default: as browsers)', () => {
  void it('waits exactly 3000 ms before every attempt, however many fail', async () => {
    const { source, rec, timers } = start(failures(10));
    assert.deepEqual(await delaysOf(rec, timers, 6), [3000, 3000, 3000, 3000, 3000, 3000]);
    source.close();
  });

  void it('the reconnectionTime option sets the initial reconnection time', async () => {
    const { source, rec, timers } = start(failures(10), { reconnectionTime: 250 });
    assert.deepEqual(await delaysOf(rec, timers, 3), [250, 250, 250]);
    source.close();
  });

  void it('retry: replaces it, from the next wait on', async () => {
    const { source, rec, timers } = start([ended('retry: 700\n\n'), ...failures(3)]);
    assert.deepEqual(await delaysOf(rec, timers, 3), [700, 700, 700]);
    source.close();
  });

  void it('a huge retry: is clamped to what timers can wait', async () => {
    const { source, rec } = start([ended('retry: 99999999999999\n\n')]);
    assert.equal((await rec.errors.next()).reconnectDelay, MAX_DELAY_MS);
    source.close();
  });
});

void describe('backoff (opt-in reconnect policy)', () => {
  void it('grows by factor from initialDelay up to maxDelay (no jitter)', async () => {
    const { source, rec, timers } = start(failures(10), {
      reconnect: { initialDelay: 100, factor: 2, maxDelay: 1000, jitter: 0 },
    });
    assert.deepEqual(await delaysOf(rec, timers, 7), [100, 200, 400, 800, 1000, 1000, 1000]);
    source.close();
  });

  void it('defaults: 1000 ms doubling to 30 s, half of it jitter', async () => {
    const { source, rec, timers } = start(failures(10), { reconnect: {}, random: () => 0 });
    assert.deepEqual(await delaysOf(rec, timers, 7), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    source.close();
    const low = start(failures(3), { reconnect: {}, random: () => 0.999999 });
    assert.deepEqual(await delaysOf(low.rec, low.timers, 2), [500, 1000]);
    low.source.close();
  });

  void it('jitter keeps every delay within [delay × (1 - jitter), delay]', () => {
    const random = seededRandom(42);
    for (const jitter of [0, 0.1, 0.5, 1]) {
      const policy = { initialDelay: 100, maxDelay: 5000, factor: 3, jitter };
      for (let attempt = 1; attempt <= 12; attempt++) {
        const full = Math.min(5000, 100 * 3 ** (attempt - 1));
        for (let i = 0; i < 200; i++) {
          const delay = reconnectDelay({
            attempt,
            reconnectionTime: 3000,
            serverRetry: undefined,
            policy,
            random,
          });
          assert.ok(
            delay <= full && delay >= Math.floor(full * (1 - jitter)),
            `${delay} vs ${full}`,
          );
        }
      }
    }
  });

  void it('jitter draws from the injected random source', async () => {
    const draws = [0, 0.5, 0.25];
    const { source, rec, timers } = start(failures(10), {
      reconnect: { initialDelay: 1000, factor: 1, jitter: 0.4 },
      random: () => draws.shift() ?? 0,
    });
    assert.deepEqual(await delaysOf(rec, timers, 3), [1000, 800, 900]);
    source.close();
  });

  void it('resets after a connection opens', async () => {
    const { source, rec, timers } = start([...failures(3), ended('data: up\n\n'), ...failures(2)], {
      reconnect: { initialDelay: 100, factor: 2, jitter: 0 },
    });
    // three failed attempts, then one that opens and ends, then failures again
    assert.deepEqual(await delaysOf(rec, timers, 5), [100, 200, 400, 100, 200]);
    assert.equal(rec.all.length, 1);
    source.close();
  });

  void it("the server's retry: is the floor of every delay, even above maxDelay", async () => {
    const { source, rec, timers } = start([ended('retry: 5000\n\n'), ...failures(4)], {
      reconnect: { initialDelay: 100, factor: 10, maxDelay: 8000, jitter: 0 },
    });
    assert.deepEqual(await delaysOf(rec, timers, 4), [5000, 5000, 8000, 8000]);
    source.close();
    const above = start([ended('retry: 60000\n\n'), ...failures(2)], {
      reconnect: { initialDelay: 100, maxDelay: 1000, jitter: 1 },
    });
    assert.deepEqual(await delaysOf(above.rec, above.timers, 2), [60000, 60000]);
    above.source.close();
  });

  void it('a retry: below the backoff delay does not shorten it', async () => {
    const { source, rec, timers } = start([ended('retry: 10\n\n'), ...failures(3)], {
      reconnect: { initialDelay: 100, factor: 2, jitter: 0 },
    });
    assert.deepEqual(await delaysOf(rec, timers, 3), [100, 200, 400]);
    source.close();
  });
});

void describe('maxRetries', () => {
  void it('gives up after maxRetries failed attempts in a row: CLOSED, SSE_ERR_MAX_RETRIES', async () => {
    const { source, rec, timers, scripted } = start(failures(10), { maxRetries: 2 });
    assert.deepEqual(await delaysOf(rec, timers, 2), [3000, 3000]);
    const final = await rec.errors.next();
    assert.equal(final.code, 'SSE_ERR_MAX_RETRIES');
    assert.equal(final.reconnectDelay, undefined);
    assert.equal((final.error.cause as { code?: string }).code, 'SSE_ERR_NETWORK');
    assert.match(final.message, /gave up after 2 failed reconnection attempts/);
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.deepEqual(timers.pending, []);
    assert.equal(scripted.calls.length, 3, 'the first attempt and two retries');
  });

  void it('counts only failures in a row: an opened connection starts the count again', async () => {
    const { source, rec, timers, scripted } = start(
      [...failures(2), ended('data: up\n\n'), ...failures(5)],
      { maxRetries: 2 },
    );
    // 2 failures, then a connection that opens (count back to 0) and ends
    // (1), then failures 2 and 3: given up after the fifth request, not the third.
    await delaysOf(rec, timers, 4);
    assert.equal(rec.all.length, 1);
    assert.equal((await rec.errors.next()).code, 'SSE_ERR_MAX_RETRIES');
    assert.equal(scripted.calls.length, 5);
    assert.equal(source.readyState, EventSource.CLOSED);
  });

  void it('maxRetries: 0 never reconnects', async () => {
    const { source, rec, timers, scripted } = start([ended('data: once\n\n')], { maxRetries: 0 });
    const final = await rec.errors.next();
    assert.equal(final.code, 'SSE_ERR_MAX_RETRIES');
    assert.equal((final.error.cause as { code?: string }).code, 'SSE_ERR_DISCONNECTED');
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.deepEqual(timers.pending, []);
    assert.equal(scripted.calls.length, 1);
  });
});

void describe('close() from an error listener', () => {
  void it('stops everything: no timer, no further fetch', async () => {
    const { source, rec, timers, scripted } = start(failures(5));
    source.onerror = () => {
      source.close();
    };
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.deepEqual(timers.pending, []);
    assert.equal(scripted.calls.length, 1);
  });

  void it('after a stream ended as well', async () => {
    const { source, rec, timers, scripted } = start([ended('data: x\n\n')]);
    source.addEventListener('error', () => {
      source.close();
    });
    await rec.errors.next();
    assert.deepEqual(timers.pending, []);
    assert.equal(scripted.calls.length, 1);
  });

  void it('close() during the wait cancels the pending reconnection', async () => {
    const { source, rec, timers, scripted } = start(
      [openResponse(['data: x\n\n'])]
        .map((r): Step => ({ kind: 'response', response: () => r }))
        .concat(failures(1)),
    );
    await rec.messages.next();
    source.close();
    assert.deepEqual(timers.pending, []);
    assert.equal(scripted.calls.length, 1);
  });
});

void describe('a headers function that fails', () => {
  void it('counts as a network error: no request, an error event, a reconnection', async () => {
    let calls = 0;
    const { source, rec, timers, scripted } = start([ended('data: ok\n\n')], {
      headers: () => {
        calls += 1;
        if (calls === 1) throw new Error('token service down');
        return { authorization: 'Bearer fresh' };
      },
    });
    const error = await rec.errors.next();
    assert.equal(error.code, 'SSE_ERR_NETWORK');
    assert.match(error.message, /token service down/);
    assert.equal(scripted.calls.length, 0);
    timers.fire(3000);
    assert.equal((await rec.messages.next()).data, 'ok');
    assert.equal(scripted.calls[0]?.headers.get('authorization'), 'Bearer fresh');
    source.close();
  });
});
