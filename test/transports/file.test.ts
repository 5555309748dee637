/**
 * What the file transport promises beyond the shared contract: history and
 * positions survive a close and a kill; a torn tail or a damaged record is
 * repaired at open, never a crash or a corrupt replay; another format, a
 * foreign folder and a second opener are refused with a plain message; the
 * bounds hold across reopens; `fsync: 'always'` commits one update at a time.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  closeSync,
  writeSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open } from 'lmdb';
import { updateSize, type Transport, type Update } from '../../src/hub/types.js';
import { createFileTransport, FORMAT_VERSION } from '../../src/transports/file.js';
import { readHistory } from '../helpers/history.js';
import { update, waitFor } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'ssehub-file-'));
const children = new Set<ChildProcess>();
let made = 0;

after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function freshPath(): string {
  return join(root, `store-${++made}`);
}

async function ids(t: Transport): Promise<string[]> {
  return (await readHistory(t, 'earliest', 500)).ids;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    const t = await promise;
    await (t as Transport).close();
  } catch (error) {
    assert.equal((error as { code?: unknown }).code, 'SSE_ERR_TRANSPORT_UNAVAILABLE');
    return (error as Error).message;
  }
  assert.fail('expected the store to be refused');
}

const WRITER = new URL('./fixtures/file-writer.ts', import.meta.url).pathname;

/** Starts the writer child; resolves with it and the ids it acknowledged (growing). */
function writer(
  path: string,
  args: string[] = [],
): { child: ChildProcess; acked: string[]; lines: Promise<void>; exit: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const exit = once(child, 'exit').then(() => children.delete(child));
  const acked: string[] = [];
  let buffered = '';
  let onOpen: () => void = () => undefined;
  const lines = new Promise<void>((resolve) => (onOpen = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'open') onOpen();
      else if (line.startsWith('ack ')) acked.push(line.slice(4));
    }
  });
  return { child, acked, lines, exit };
}

void describe('file transport', { timeout: 120_000 }, () => {
  void it('reopened after close: the same history, positions keep growing, the id is found', async () => {
    const path = freshPath();
    let t = await createFileTransport({ path });
    const positions: string[] = [];
    t.subscribe((_u, position) => positions.push(position));
    for (const id of ['a', 'b', 'c']) await t.dispatch(update(id));
    const firstRun = t.livePosition();
    await t.close();

    t = await createFileTransport({ path });
    assert.equal(t.livePosition(), firstRun, 'live delivery starts after what is stored');
    assert.deepEqual(await ids(t), ['a', 'b', 'c']);
    assert.equal(await t.lastEventId(), 'c');
    t.subscribe((_u, position) => positions.push(position));
    await t.dispatch(update('d', { data: 'after the restart' }));
    assert.equal(positions.length, 4);
    assert.ok((positions[2] as string) < (positions[3] as string), 'positions keep growing');
    const page = await t.history({
      after: { id: 'b' },
      upTo: t.livePosition(),
      limit: 10,
      maxBytes: 1e9,
    });
    assert.deepEqual(
      page.updates.map((u) => u.id),
      ['c', 'd'],
    );
    assert.equal(page.afterPosition, positions[1]);
    await t.close();
  });

  void it('count and byte trimming persist across reopens; the store stops growing', async () => {
    const path = freshPath();
    const one = updateSize(update('t0000', { data: 'z'.repeat(500) }));
    const make = (): Promise<Transport> =>
      createFileTransport({ path, historySize: 100, historyBytes: one * 50 });
    let t = await make();
    let n = 0;
    const burst = async (count: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: count }, () =>
          t.dispatch(update(`t${String(n++).padStart(4, '0')}`, { data: 'z'.repeat(500) })),
        ),
      );
    };
    await burst(300);
    assert.deepEqual(t.historyStats?.().count, 50, 'the byte bound (50 updates) wins');
    await t.close();
    t = await make();
    assert.deepEqual(t.historyStats?.(), {
      count: 50,
      bytes: one * 50,
      diskBytes: statSync(join(path, 'data.mdb')).size,
    });
    const kept = await ids(t);
    assert.deepEqual(
      kept,
      Array.from({ length: 50 }, (_, i) => `t0${250 + i}`),
    );
    assert.deepEqual(
      (await t.history({ after: { id: 't0249' }, limit: 1, maxBytes: 1 })).found,
      false,
    );
    // LMDB reuses the pages trimmed records free: past a warm-up (pages held
    // by the snapshots still being read), the file stops growing.
    for (let round = 0; round < 5; round++) await burst(300);
    const warm = statSync(join(path, 'data.mdb')).size;
    for (let round = 0; round < 10; round++) await burst(300);
    await t.close();
    const later = statSync(join(path, 'data.mdb')).size;
    assert.ok(
      later <= warm * 1.25,
      `data file grew from ${warm} to ${later} bytes for the same history`,
    );

    t = await createFileTransport({ path, historySize: 10, historyBytes: one * 50 });
    await burst(1);
    assert.deepEqual(
      t.historyStats?.().count,
      10,
      'a smaller historySize applies at the next append',
    );
    await t.close();
  });

  void it('a data file cut short (a torn write at its end): the last transaction is dropped at open', async () => {
    const path = freshPath();
    const errors: unknown[] = [];
    let t = await createFileTransport({ path, historyBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 200; i++) await t.dispatch(update(`s${i}`));
    const before = statSync(join(path, 'data.mdb')).size;
    // One large update, alone in its transaction: its pages extend the file.
    await t.dispatch(update('big', { data: 'B'.repeat(400_000) }));
    await t.close();
    const full = statSync(join(path, 'data.mdb')).size;
    assert.ok(full > before, 'the last transaction extended the data file');
    truncateSync(join(path, 'data.mdb'), before);

    t = await createFileTransport({ path, onError: (e) => errors.push(e) });
    assert.match(String(errors[0]), /torn write .*last transaction was dropped/);
    assert.equal(t.counters?.().droppedTornTransactions, 1);
    assert.equal(await t.lastEventId(), 's199');
    const kept = await ids(t);
    assert.equal(kept.length, 200);
    assert.equal(kept.at(-1), 's199');
    // The store goes on: a new update, then a clean reopen.
    await t.dispatch(update('after'));
    await t.close();
    t = await createFileTransport({ path });
    assert.deepEqual((await ids(t)).slice(-2), ['s199', 'after']);
    assert.equal(t.counters?.().droppedTornTransactions, 0);
    await t.close();
  });

  void it('a data file cut beyond repair is refused with a plain message, not a crash', async () => {
    const path = freshPath();
    const t = await createFileTransport({ path });
    for (let i = 0; i < 300; i++) await t.dispatch(update(`x${i}`, { data: 'x'.repeat(300) }));
    await t.close();
    truncateSync(join(path, 'data.mdb'), 3 * 4096);
    const message = await refusal(createFileTransport({ path }));
    assert.match(
      message,
      /^the store .* is damaged: data\.mdb has \d+ bytes, its last transactions need \d+\. Restore it from a backup, or move the folder away/,
    );
  });

  void it('a damaged record: the newest are checked and dropped at open; older ones are skipped by a replay', async () => {
    const path = freshPath();
    let t = await createFileTransport({ path, historySize: 5000 });
    // Older records are checked when read; only the newest 1000 at open.
    await t.dispatch(update('old-MARK-OLD', { data: 'damaged later: OLD-RECORD' }));
    for (let i = 0; i < 1200; i++) await t.dispatch(update(`m${i}`));
    await t.dispatch(update('last', { data: 'damaged later: LAST-RECORD' }));
    await t.close();
    const file = join(path, 'data.mdb');
    const bytes = readFileSync(file);
    for (const marker of ['LAST-RECORD', 'OLD-RECORD']) {
      const at = bytes.indexOf(marker);
      assert.ok(at > 0, `found ${marker} in the data file`);
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.from('X'), 0, 1, at);
      closeSync(fd);
    }

    const errors: unknown[] = [];
    t = await createFileTransport({ path, onError: (e) => errors.push(e) });
    assert.match(String(errors[0]), /1 damaged record\(s\).*removed/);
    assert.equal(await t.lastEventId(), 'm1199', 'the damaged last record is gone');
    assert.equal(t.historyStats?.().count, 1201);
    const replay = await readHistory(t, 'earliest', 500);
    assert.equal(replay.ids[0], 'm0', 'the damaged old record is passed over');
    assert.equal(replay.ids.length, 1200);
    assert.ok(replay.updates.every((u) => !u.data.includes('RECORD')));
    assert.equal(t.counters?.().damagedRecords, 2);
    assert.deepEqual(await readHistory(t, 'old-MARK-OLD'), { found: false, updates: [], ids: [] });
    await t.close();
  });

  void it('a store in another format version is refused, never misread', async () => {
    const path = freshPath();
    const t = await createFileTransport({ path });
    await t.dispatch(update('v'));
    await t.close();
    const env = open({ path, maxDbs: 4 });
    const meta = env.openDB<Record<string, unknown>, string>({ name: 'meta', encoding: 'json' });
    const current = meta.get('meta');
    assert.equal(current?.format, FORMAT_VERSION);
    await meta.put('meta', { ...current, format: FORMAT_VERSION + 1 });
    await env.close();
    const message = await refusal(createFileTransport({ path }));
    assert.equal(
      message,
      `the store ${path} is in format ${FORMAT_VERSION + 1}; this ssehub reads format ${FORMAT_VERSION}. Open it with the ssehub version that wrote it, or move the folder away to start with an empty history`,
    );
  });

  void it('a folder that is not a store is refused: other files, another LMDB, a file', async () => {
    const withFiles = freshPath();
    mkdirSync(withFiles);
    writeFileSync(join(withFiles, 'notes.txt'), 'mine');
    assert.match(
      await refusal(createFileTransport({ path: withFiles })),
      /holds other files and no ssehub store/,
    );
    const otherLmdb = freshPath();
    const env = open({ path: otherLmdb });
    await env.put('k', 'v');
    await env.close();
    assert.match(await refusal(createFileTransport({ path: otherLmdb })), /is not an ssehub store/);
    const aFile = join(root, 'a-file');
    writeFileSync(aFile, '');
    assert.match(
      await refusal(createFileTransport({ path: aFile })),
      /cannot use .*a-file as a store/,
    );
  });

  void it('one store, one process: a second opener is refused with the holder pid; a kill frees it', async () => {
    const path = freshPath();
    const first = await createFileTransport({ path });
    assert.equal(
      await refusal(createFileTransport({ path })),
      `the store ${path} is in use by this process (pid ${process.pid}): one store, one process. Stop it, or give this hub another folder`,
    );
    await first.close();

    const holder = writer(path, ['0', 'hold']);
    await holder.lines;
    assert.match(
      await refusal(createFileTransport({ path })),
      new RegExp(`in use by another process \\(pid ${holder.child.pid}\\)`),
    );
    holder.child.kill('SIGKILL');
    await holder.exit;
    // The kernel frees the lock with the process: no stale lock to clean up.
    const t = await createFileTransport({ path });
    await t.close();
  });

  void it('killed mid-batch (SIGKILL, 5 times): every acknowledged update is kept, nothing else is torn', async () => {
    const path = freshPath();
    let next = 0;
    const allAcked: string[] = [];
    for (let round = 0; round < 5; round++) {
      const w = writer(path, [String(next)]);
      await waitFor(() => w.acked.length >= 200 + round * 37, 'acknowledged updates', 20_000);
      w.child.kill('SIGKILL');
      await w.exit;
      allAcked.push(...w.acked);
      const t = await createFileTransport({ path, historySize: 100_000 });
      const stored = await ids(t);
      await t.close();
      // Acknowledged ⊆ stored, and what is stored is an unbroken run of the
      // ids dispatched (commits are whole, in order): nothing half-written.
      const storedSet = new Set(stored);
      const lost = allAcked.filter((id) => !storedSet.has(id));
      assert.deepEqual(lost, [], `round ${round}: acknowledged updates lost`);
      const numbers = stored.map((id) => Number(id.slice(1)));
      assert.deepEqual(
        numbers.filter((n, i) => i > 0 && n !== (numbers[i - 1] as number) + 1),
        [],
        `round ${round}: the stored ids are not an unbroken run`,
      );
      next = (numbers.at(-1) ?? -1) + 1;
    }
    assert.ok(allAcked.length >= 1000);
  });

  void it("fsync: 'always' commits each update alone; 'batch' groups concurrent ones", async () => {
    const always = await createFileTransport({ path: freshPath(), fsync: 'always' });
    const batch = await createFileTransport({ path: freshPath(), fsync: 'batch' });
    const seen: Update[] = [];
    always.subscribe((u) => seen.push(u));
    for (const t of [always, batch]) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => t.dispatch(update(`f${i}`))));
    }
    assert.equal(always.counters?.().commits, 50);
    assert.ok((batch.counters?.().commits ?? 0) < 10, 'concurrent dispatches share commits');
    assert.deepEqual(
      seen.map((u) => u.id),
      Array.from({ length: 50 }, (_, i) => `f${i}`),
    );
    const latency = always.appendLatency?.();
    assert.equal(latency?.count, 50);
    assert.equal(latency.buckets.at(-1), 50 - 0, 'every append took less than the last bound');
    assert.ok(latency.sumSeconds > 0);
    await Promise.all([always.close(), batch.close()]);
    await assert.rejects(always.dispatch(update('late')), {
      code: 'SSE_ERR_TRANSPORT_UNAVAILABLE',
    });
  });

  void it('bad options are refused by name', async () => {
    await assert.rejects(createFileTransport({ path: '' }), {
      code: 'SSE_ERR_INVALID_OPTION',
      field: 'path',
    });
    await assert.rejects(
      createFileTransport({ path: freshPath(), fsync: 'sometimes' as 'always' }),
      { code: 'SSE_ERR_INVALID_OPTION', field: 'fsync' },
    );
    await assert.rejects(createFileTransport({ path: freshPath(), historyBytes: 0 }), {
      code: 'SSE_ERR_INVALID_OPTION',
      field: 'historyBytes',
    });
  });
});
