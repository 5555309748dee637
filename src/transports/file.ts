/**
 * The file transport: durable history on one machine. A hub that restarts,
 * or is killed (`kill -9`), or whose machine loses power, comes back with
 * its history, and its subscribers resume after their `Last-Event-ID`
 * without a gap.
 *
 * Engine: LMDB (the `lmdb` npm package, an optional peer dependency loaded
 * only from this entry point). Chosen by measurement over SQLite
 * (`better-sqlite3`): see docs/benchmarks.md, "Durable history". The store
 * is a folder holding LMDB's `data.mdb` and `lock.mdb`; the layout is in
 * `file/store.ts`, a record's in `file/record.ts`.
 *
 * Durability: `dispatch()` resolves, and the hub answers the publisher, only
 * once the update's transaction is synced to disk. `fsync` chooses how
 * updates share transactions:
 *
 * - `'batch'` (default): group commit. While one transaction is being
 *   written and synced, new updates queue; the next transaction takes every
 *   update waiting (at most {@link MAX_BATCH} updates and 4 MiB of records).
 *   An update waits at most for the one commit in flight before its own
 *   begins: the added latency is bounded by one commit, and nothing waits
 *   on a timer when the hub is idle.
 * - `'always'`: one transaction (one sync) per update, one after the other.
 *   Same durability, fewer publishes per second under load (measured in
 *   docs/benchmarks.md); for who wants one update per transaction.
 *
 * Either way SIGKILL at any moment loses no acknowledged update: LMDB is
 * copy-on-write with two meta pages, so a crash leaves exactly the last
 * committed transaction. Updates are delivered to the listener only after
 * their transaction is durable, so no subscriber ever sees an update that a
 * crash could take back.
 *
 * Order and positions: one sequence number per dispatch, in call order; a
 * position is that number zero-padded to 16 digits (string order = number
 * order), and numbers keep growing across restarts (the last one is stored
 * with every commit). `livePosition()` is the last update delivered; after
 * opening, the last one stored.
 *
 * History: bounded by count (`historySize`) and bytes (`historyBytes`, as
 * {@link updateSize} counts them), exactly like the memory transport, with
 * the trimming done in the same transaction as the append, so the store
 * never grows past them (LMDB reuses the freed pages: the data file stops
 * growing once the history is full). An update larger than `historyBytes`
 * is delivered but not kept. A reused id resolves to its earliest retained
 * occurrence; a position whose successor was trimmed is `found: false`.
 *
 * Start-up is O(1) in the history's length: the counts live in a meta
 * record; nothing is scanned (measured in docs/benchmarks.md). Opening
 * refuses, with a message naming the folder:
 * - a store in another format version (never misread);
 * - a folder that holds other files and no store;
 * - a store opened by another process, or already by this one (one store,
 *   one process: `file/lock.ts`; the refusal names the holder's pid);
 * - a damaged store it cannot repair.
 * It repairs what a torn write can leave: a data file cut short drops its
 * last transaction (the previous one is used, when the file holds it), and
 * records whose checksum fails among the newest are removed; each repair is
 * reported through `onError` and counted (`counters()`). A damaged record
 * met later by a replay is skipped and counted, never sent.
 *
 * Exactly one process opens a store. `ssehub serve --workers N` with a file
 * store: the cluster primary opens it and serves it to the workers
 * (`primary.ts`).
 *
 * Limits: the store lives on a local disk (LMDB memory-maps it; network
 * filesystems are not supported). Abstract-socket locks are per network
 * namespace (see `file/lock.ts`).
 *
 * @see http://www.lmdb.tech/doc/
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_HISTORY_BYTES, DEFAULT_HISTORY_SIZE } from '../hub/memory-transport.js';
import { SseError } from '../protocol/sse-error.js';
import type { Transport } from '../hub/types.js';
import { lockStore, StoreLockedError } from './file/lock.js';
import { Store, StoreOpenError } from './file/store.js';
import { FileTransport, MAX_BATCH } from './file/transport.js';

export { FORMAT_VERSION } from './file/store.js';
export { MAX_BATCH, MAX_BATCH_BYTES } from './file/transport.js';

/** How updates share transactions (each one synced to disk before it is acknowledged). */
export type FsyncMode = 'always' | 'batch';

/** Options of {@link createFileTransport}. */
export interface FileTransportOptions {
  /**
   * The store's folder, created when missing. It must be empty or hold a
   * store; one process opens it at a time.
   */
  path: string;
  /**
   * Most updates kept for replay (`Last-Event-ID`); the oldest are trimmed
   * in the transaction that appends a new one.
   *
   * @default 1000
   */
  historySize?: number | undefined;
  /**
   * Most bytes of history (as `updateSize` counts them, the memory
   * transport's measure).
   *
   * @default 16777216 (16 MiB)
   */
  historyBytes?: number | undefined;
  /**
   * `'batch'`: group commit, one sync for every update waiting when the
   * previous commit ends; `'always'`: one transaction and one sync per
   * update. Both sync before acknowledging (see the file comment).
   *
   * @default 'batch'
   */
  fsync?: FsyncMode | undefined;
  /**
   * Told about what opening repaired, about damaged records skipped by a
   * replay, about failed commits (the updates are rejected), and about
   * errors thrown by the listener. The transport keeps going after each.
   *
   * @default a no-op
   */
  onError?: ((error: unknown) => void) | undefined;
}

/** Default for {@link FileTransportOptions.fsync}. */
export const DEFAULT_FSYNC: FsyncMode = 'batch';

function checkInt(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"${name}" must be an integer ≥ ${min}, got ${typeof value === 'number' ? value : typeof value}`,
      { field: name },
    );
  }
  return value;
}

function refused(message: string, cause?: unknown): SseError {
  return new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', message, { cause });
}

/**
 * Opens (or creates) the store at `options.path` and returns its transport.
 * Import it from `ssehub/transports/file` (it loads the optional `lmdb` peer
 * dependency; the rest of ssehub never does).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` for a bad option;
 * `SSE_ERR_TRANSPORT_UNAVAILABLE` when the store cannot be opened: locked
 * by another process (the message names its pid), another format version,
 * damaged beyond repair, not a folder, not writable.
 */
export async function createFileTransport(options: FileTransportOptions): Promise<Transport> {
  const historySize = checkInt('historySize', options.historySize, DEFAULT_HISTORY_SIZE, 0);
  const historyBytes = checkInt('historyBytes', options.historyBytes, DEFAULT_HISTORY_BYTES, 1);
  const fsync: unknown = options.fsync ?? DEFAULT_FSYNC;
  if (fsync !== 'always' && fsync !== 'batch') {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"fsync" must be "always" or "batch", got ${JSON.stringify(fsync)}`,
      { field: 'fsync' },
    );
  }
  if (typeof options.path !== 'string' || options.path === '') {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"path" must be a folder path', {
      field: 'path',
    });
  }
  const onError = options.onError ?? (() => undefined);
  const dir = resolve(options.path);
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
  } catch (error) {
    throw refused(
      `cannot use ${dir} as a store: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  let lock;
  try {
    lock = await lockStore(dir);
  } catch (error) {
    if (error instanceof StoreLockedError) {
      const holder =
        error.pid === undefined
          ? 'another process'
          : error.pid === process.pid
            ? `this process (pid ${error.pid})`
            : `another process (pid ${error.pid})`;
      throw refused(
        `the store ${dir} is in use by ${holder}: one store, one process. Stop it, or give this hub another folder`,
        error,
      );
    }
    throw refused(`cannot lock the store ${dir}: ${String(error)}`, error);
  }
  try {
    const { store, report } = await Store.open(dir);
    if (report.droppedTransaction) {
      onError(
        refused(
          `the store ${dir} ended with a torn write (its data file was cut short): its last transaction was dropped`,
        ),
      );
    }
    if (report.droppedRecords > 0) {
      onError(
        refused(
          `the store ${dir} held ${report.droppedRecords} damaged record(s) (checksum) among its newest ${MAX_BATCH}: removed`,
        ),
      );
    }
    const diskBytes = await store.diskBytes();
    return new FileTransport(
      store,
      lock,
      { historySize, historyBytes, fsync, onError },
      diskBytes,
      report,
    );
  } catch (error) {
    await lock.release();
    if (error instanceof StoreOpenError) throw refused(error.message, error);
    throw refused(`cannot open the store ${dir}: ${String(error)}`, error);
  }
}
