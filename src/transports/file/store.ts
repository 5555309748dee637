/**
 * The file transport's store: one LMDB environment in the store's folder
 * (`data.mdb`, `lock.mdb`), three databases in it. What the transport
 * promises, and why, is in `../file.ts`.
 *
 * - `meta` (JSON): `{ format, lastSeq, trimmedThrough, count, bytes,
 *   created }`. Written in the same transaction as every append, so it
 *   always agrees with the records: opening reads it instead of counting
 *   (start-up does not depend on the history's length).
 * - `updates`: sequence number → record (`record.ts`).
 * - `ids`: id key (16 bytes of the id's SHA-256) + sequence number (8 bytes,
 *   big-endian) → nothing. Keys of one id sort together, oldest first, so
 *   the first one whose record carries the id is its earliest retained
 *   occurrence.
 *
 * Every append is one LMDB write transaction: the records, their index
 * entries, the trimming of the oldest records (count and bytes) and the new
 * meta commit together or not at all. LMDB is copy-on-write with two meta
 * pages: a crash leaves the last committed transaction, never half of one.
 * Transactions are synced before their promise resolves (`overlappingSync`
 * off): a resolved append is on disk.
 *
 * Opening checks, before any record is read:
 * - the format version in `meta` (another format: refused, never misread);
 * - that the data file holds every page the last transaction refers to.
 *   When it does not (the file was cut: a torn write at its end), the
 *   previous transaction is used if the file holds it (LMDB keeps both
 *   metas; `usePreviousSnapshot`), which drops the torn one; otherwise the
 *   store is refused as damaged (reading a missing page would crash the
 *   process with SIGBUS);
 * - the newest records' checksums: damaged ones are removed (and counted).
 *
 * Size: the store's one transaction discipline (append + trim + index in one
 * write, the start-up checks above) reads best in one place.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database, type RootDatabase, type RootDatabaseOptionsWithPath } from 'lmdb';
import type { Update } from '../../hub/types.js';
import { checkRecord, decodeRecord, ID_HASH_BYTES, idHash, recordSize } from './record.js';

/** The store layout this code reads and writes. */
export const FORMAT_VERSION = 1;

/** The data file LMDB writes in the store's folder. */
export const DATA_FILE = 'data.mdb';
const LOCK_FILE = 'lock.mdb';

/** Records checked at open (at least one commit's worth: see `MAX_BATCH` in `transport.ts`). */
const TAIL_CHECK = 1000;

/** What the store holds, as committed. */
export interface StoreState {
  /** Sequence number of the last update appended (-1: none ever). */
  readonly lastSeq: number;
  /** Sequence number of the newest record trimmed (-1: none). */
  readonly trimmedThrough: number;
  /** Records held. */
  readonly count: number;
  /** Their `updateSize`, summed. */
  readonly bytes: number;
}

interface Meta extends StoreState {
  readonly format: number;
  readonly created: string;
}

/** One update to append. */
export interface Append {
  readonly seq: number;
  /** The record, or `undefined` for an update delivered but not kept (larger than the history). */
  readonly record: Buffer | undefined;
  readonly hash: Buffer;
  readonly size: number;
}

/** History bounds applied by every append. */
export interface Limits {
  readonly historySize: number;
  readonly historyBytes: number;
}

/** Why a store could not be opened: the message is for the person running it. */
export class StoreOpenError extends Error {}

/** What opening had to repair, for the transport to report. */
export interface OpenReport {
  /** The last transaction was torn (the data file cut short) and dropped. */
  readonly droppedTransaction: boolean;
  /** Records whose checksum failed, removed from the newest ones. */
  readonly droppedRecords: number;
}

/** The parts of lmdb-js's (untyped) environment object used here: both read only the meta page. */
interface LmdbEnv {
  info?: () => { lastPageNumber?: unknown };
  stat?: () => { pageSize?: unknown };
}

function isMeta(value: unknown): value is Meta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Record<string, unknown>;
  return ['format', 'lastSeq', 'trimmedThrough', 'count', 'bytes'].every(
    (key) => typeof meta[key] === 'number' && Number.isSafeInteger(meta[key]),
  );
}

function idKey(hash: Buffer, seq: number): Buffer {
  const key = Buffer.allocUnsafe(ID_HASH_BYTES + 8);
  hash.copy(key, 0, 0, ID_HASH_BYTES);
  key.writeUInt32BE(Math.floor(seq / 2 ** 32), ID_HASH_BYTES);
  key.writeUInt32BE(seq >>> 0, ID_HASH_BYTES + 4);
  return key;
}

function seqOfIdKey(key: Buffer): number {
  return key.readUInt32BE(ID_HASH_BYTES) * 2 ** 32 + key.readUInt32BE(ID_HASH_BYTES + 4);
}

/**
 * The pages the open environment's last transaction needs, in bytes, and the
 * data file's length: a file shorter than that was cut.
 */
function shortfall(root: RootDatabase, dir: string): { needed: number; actual: number } {
  const env = (root as unknown as { env?: LmdbEnv }).env;
  // Not root.getStats(): it also walks the free list, which may be past the cut.
  const last = env?.info?.().lastPageNumber;
  const pageSize = env?.stat?.().pageSize;
  const actual = statSync(join(dir, DATA_FILE)).size;
  if (typeof last !== 'number' || typeof pageSize !== 'number') return { needed: 0, actual };
  return { needed: (last + 1) * pageSize, actual };
}

function openEnv(dir: string, previous: boolean): RootDatabase {
  const options: RootDatabaseOptionsWithPath & { usePreviousSnapshot?: boolean } = {
    path: dir,
    maxDbs: 4,
    // Synced before a commit's promise resolves: an acknowledged update is on disk.
    overlappingSync: false,
    noSync: false,
    usePreviousSnapshot: previous,
  };
  return open(options);
}

/**
 * What the transport needs from a store (the LMDB one below; the benchmark
 * plugs a SQLite one in, to compare engines under the same queue).
 */
export interface StoreEngine {
  readonly dir: string;
  readonly state: StoreState;
  /** Records found damaged since open. */
  readonly damaged: number;
  append(appends: readonly Append[], limits: Limits): Promise<StoreState>;
  records(
    afterSeq: number | undefined,
    upToSeq: number | undefined,
  ): Iterable<{ seq: number; size: number; update: Update | undefined }>;
  find(id: string): { seq: number; update: Update } | undefined;
  newest(): Update | undefined;
  diskBytes(): Promise<number>;
  close(): Promise<void>;
}

export class Store implements StoreEngine {
  readonly dir: string;
  readonly #root: RootDatabase;
  readonly #meta: Database<unknown, string>;
  readonly #updates: Database<Buffer, number>;
  readonly #ids: Database<Buffer, Buffer>;
  #state: StoreState;
  readonly #created: string;
  /** Records found damaged (checksum) since open, dropped or skipped. */
  damaged = 0;

  private constructor(
    dir: string,
    root: RootDatabase,
    meta: Database<unknown, string>,
    state: Meta,
  ) {
    this.dir = dir;
    this.#root = root;
    this.#meta = meta;
    this.#updates = root.openDB<Buffer, number>({ name: 'updates', encoding: 'binary' });
    this.#ids = root.openDB<Buffer, Buffer>({
      name: 'ids',
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    this.#state = {
      lastSeq: state.lastSeq,
      trimmedThrough: state.trimmedThrough,
      count: state.count,
      bytes: state.bytes,
    };
    this.#created = state.created;
  }

  /**
   * Opens (or creates) the store in `dir`, which exists and is locked by
   * this process.
   *
   * @throws {StoreOpenError} with a message naming the folder and what to do.
   */
  static async open(dir: string): Promise<{ store: Store; report: OpenReport }> {
    const existing = existsSync(join(dir, DATA_FILE));
    if (!existing) {
      const others = readdirSync(dir).filter((name) => name !== LOCK_FILE);
      if (others.length > 0) {
        throw new StoreOpenError(
          `${dir} holds other files and no ssehub store (no ${DATA_FILE}): give --transport file: an empty or new folder`,
        );
      }
    }
    let root: RootDatabase;
    let droppedTransaction = false;
    try {
      root = openEnv(dir, false);
    } catch (error) {
      throw new StoreOpenError(`cannot open the store ${dir}: ${String(error)}`);
    }
    try {
      let cut = shortfall(root, dir);
      if (cut.actual < cut.needed) {
        // The last transaction's pages are not all in the file: try the one before.
        await root.close();
        root = openEnv(dir, true);
        cut = shortfall(root, dir);
        if (cut.actual < cut.needed) {
          await root.close();
          throw new StoreOpenError(
            `the store ${dir} is damaged: ${DATA_FILE} has ${cut.actual} bytes, its last transactions need ${cut.needed}. Restore it from a backup, or move the folder away to start with an empty history`,
          );
        }
        droppedTransaction = true;
      }
    } catch (error) {
      if (error instanceof StoreOpenError) throw error;
      throw new StoreOpenError(`cannot open the store ${dir}: ${String(error)}`);
    }
    let store: Store;
    try {
      const metaDb = root.openDB<unknown, string>({ name: 'meta', encoding: 'json' });
      let meta = metaDb.get('meta');
      if (meta === undefined && !existing) {
        meta = {
          format: FORMAT_VERSION,
          lastSeq: -1,
          trimmedThrough: -1,
          count: 0,
          bytes: 0,
          created: new Date().toISOString(),
        } satisfies Meta;
        const fresh = meta;
        await root.transaction(() => {
          metaDb.putSync('meta', fresh);
        });
      }
      if (meta === undefined || typeof meta !== 'object' || meta === null) {
        throw new StoreOpenError(
          `${dir} is not an ssehub store (an LMDB environment without ssehub's meta record): give --transport file: an empty or new folder`,
        );
      }
      const format = (meta as { format?: unknown }).format;
      if (format !== FORMAT_VERSION) {
        throw new StoreOpenError(
          `the store ${dir} is in format ${JSON.stringify(format)}; this ssehub reads format ${FORMAT_VERSION}. Open it with the ssehub version that wrote it, or move the folder away to start with an empty history`,
        );
      }
      if (!isMeta(meta)) {
        throw new StoreOpenError(
          `the store ${dir} is damaged: its meta record is unreadable. Move the folder away to start with an empty history`,
        );
      }
      store = new Store(dir, root, metaDb, meta);
    } catch (error) {
      await root.close().catch(() => undefined);
      if (error instanceof StoreOpenError) throw error;
      throw new StoreOpenError(`cannot open the store ${dir}: ${String(error)}`);
    }
    const droppedRecords = await store.#dropDamagedTail();
    return { store, report: { droppedTransaction, droppedRecords } };
  }

  get state(): StoreState {
    return this.#state;
  }

  /**
   * Checks the newest records' checksums; removes the damaged ones, then
   * rebuilds the counts and drops index entries left without a record
   * (damage is rare: this walks the whole store).
   */
  async #dropDamagedTail(): Promise<number> {
    const damaged: number[] = [];
    for (const { key, value } of this.#updates.getRange({ reverse: true, limit: TAIL_CHECK })) {
      if (checkRecord(value) === undefined) damaged.push(key);
    }
    if (damaged.length === 0) return 0;
    this.damaged += damaged.length;
    await this.#root.childTransaction(() => {
      for (const seq of damaged) this.#updates.removeSync(seq);
      let count = 0;
      let bytes = 0;
      const kept = new Set<number>();
      for (const { key, value } of this.#updates.getRange({})) {
        count++;
        bytes += recordSize(value);
        kept.add(key);
      }
      for (const key of this.#ids.getKeys({})) {
        if (!kept.has(seqOfIdKey(key))) this.#ids.removeSync(key);
      }
      this.#state = { ...this.#state, count, bytes };
      this.#meta.putSync('meta', this.#metaRecord(this.#state));
    });
    return damaged.length;
  }

  #metaRecord(state: StoreState): Meta {
    return { format: FORMAT_VERSION, created: this.#created, ...state };
  }

  /**
   * Appends updates in one transaction, trimming the oldest records to the
   * limits first (so an update is kept whenever it fits alone); resolves
   * once the transaction is on disk, with the new state.
   */
  async append(appends: readonly Append[], limits: Limits): Promise<StoreState> {
    const last = appends.at(-1);
    if (last === undefined) return this.#state;
    const next = await this.#root.childTransaction(() => {
      let { count, bytes, trimmedThrough } = this.#state;
      for (const item of appends) {
        if (item.record === undefined) continue;
        while (
          count > 0 &&
          (count >= limits.historySize || bytes + item.size > limits.historyBytes)
        ) {
          const oldest = this.#oldest();
          if (oldest === undefined) {
            count = 0;
            bytes = 0;
            break;
          }
          this.#updates.removeSync(oldest.seq);
          if (oldest.hash !== undefined) this.#ids.removeSync(idKey(oldest.hash, oldest.seq));
          count--;
          bytes = Math.max(0, bytes - oldest.size);
          trimmedThrough = oldest.seq;
        }
        this.#updates.putSync(item.seq, item.record);
        this.#ids.putSync(idKey(item.hash, item.seq), Buffer.alloc(0));
        count++;
        bytes += item.size;
      }
      const state: StoreState = { lastSeq: last.seq, trimmedThrough, count, bytes };
      this.#meta.putSync('meta', this.#metaRecord(state));
      return state;
    });
    this.#state = next;
    return next;
  }

  #oldest(): { seq: number; size: number; hash: Buffer | undefined } | undefined {
    for (const { key, value } of this.#updates.getRange({ limit: 1 })) {
      const header = checkRecord(value);
      // A damaged record's index entry cannot be named: a lookup skips it.
      return {
        seq: key,
        size: header?.size ?? recordSize(value),
        hash: header === undefined ? undefined : Buffer.from(header.hash),
      };
    }
    return undefined;
  }

  /**
   * Records after `afterSeq` (exclusive) up to `upToSeq` (inclusive), oldest
   * first, lazily. Damaged records come back as `update: undefined` (counted).
   */
  *records(
    afterSeq: number | undefined,
    upToSeq: number | undefined,
  ): Generator<{ seq: number; size: number; update: Update | undefined }> {
    const range = this.#updates.getRange({
      ...(afterSeq === undefined ? {} : { start: afterSeq + 1 }),
      ...(upToSeq === undefined ? {} : { end: upToSeq + 1 }),
    });
    for (const { key, value } of range) {
      const update = decodeRecord(value);
      if (update === undefined) this.damaged++;
      yield { seq: key, size: recordSize(value), update };
    }
  }

  /** The earliest retained occurrence of `id`. */
  find(id: string): { seq: number; update: Update } | undefined {
    const hash = idHash(id);
    const keys = this.#ids.getKeys({ start: idKey(hash, 0), end: idKey(hash, 2 ** 53 - 1) });
    for (const key of keys) {
      const seq = seqOfIdKey(key);
      const record = this.#updates.getBinary(seq);
      if (record === undefined) continue;
      const update = decodeRecord(record);
      if (update === undefined) {
        this.damaged++;
        continue;
      }
      if (update.id === id) return { seq, update };
    }
    return undefined;
  }

  /** The newest readable record's update. */
  newest(): Update | undefined {
    for (const { value } of this.#updates.getRange({ reverse: true })) {
      const update = decodeRecord(value);
      if (update !== undefined) return update;
      this.damaged++;
    }
    return undefined;
  }

  /** Bytes of the data file. */
  async diskBytes(): Promise<number> {
    return (await stat(join(this.dir, DATA_FILE))).size;
  }

  close(): Promise<void> {
    return this.#root.close();
  }
}
