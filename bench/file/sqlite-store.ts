/**
 * The file transport on SQLite (`better-sqlite3` 12.x), for the engine
 * comparison only: the same records (`record.ts`), the same id index (a
 * 16-byte hash + sequence number), the same trimming and meta update in the
 * append's transaction, behind the same queue and group commit
 * (`FileTransport`): only the engine differs.
 *
 * SQLite in WAL mode with `synchronous = FULL` (the WAL is synced at every
 * commit: an acknowledged update is on disk). better-sqlite3 is synchronous:
 * a commit, its fsync included, runs on the event loop's thread.
 *
 * better-sqlite3 is not a dependency (its install script compiles SQLite,
 * see docs/benchmarks.md): the benchmark loads it when it is installed
 * (`npm i --no-save better-sqlite3@12`) or from `BETTER_SQLITE3_PATH`.
 */
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Update } from '../../src/hub/types.js';
import { decodeRecord, idHash, recordSize } from '../../src/transports/file/record.js';
import type { Append, Limits, StoreEngine, StoreState } from '../../src/transports/file/store.js';
import { FileTransport } from '../../src/transports/file/transport.js';
import type { Transport } from '../../src/hub/types.js';

interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  iterate(...params: unknown[]): IterableIterator<unknown>;
}
interface Database {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<T>(fn: () => T): () => T;
  close(): void;
}
type DatabaseConstructor = new (file: string) => Database;

/** better-sqlite3, or why it is not there. */
export function loadSqlite(): { Database: DatabaseConstructor; version: string } | string {
  const require = createRequire(import.meta.url);
  const from = process.env.BETTER_SQLITE3_PATH ?? 'better-sqlite3';
  try {
    const Database = require(from) as DatabaseConstructor;
    const pkg = require(`${from}/package.json`) as { version: string };
    return { Database, version: pkg.version };
  } catch (error) {
    return `better-sqlite3 not installed (npm i --no-save better-sqlite3@12, or BETTER_SQLITE3_PATH): ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

/**
 * Time the SQLite commits held the event loop (better-sqlite3 is
 * synchronous: the commit and its fsync run on the loop's thread), summed
 * over every SQLite store of the process; the benchmark resets it per step.
 */
export const sqliteBlocking = { ms: 0, commits: 0 };

interface Row {
  seq: number;
  size: number;
  record: Buffer;
}

class SqliteStore implements StoreEngine {
  readonly dir: string;
  readonly #db: Database;
  #state: StoreState;
  damaged = 0;
  readonly #oldest: Statement;
  readonly #delete: Statement;
  readonly #insert: Statement;
  readonly #meta: Statement;
  readonly #range: Statement;
  readonly #rangeTo: Statement;
  readonly #byHash: Statement;
  readonly #newest: Statement;

  constructor(Database: DatabaseConstructor, dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, 'store.sqlite'));
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY CHECK (k = 0), v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS updates (
        seq INTEGER PRIMARY KEY, idhash BLOB NOT NULL, size INTEGER NOT NULL, record BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS updates_idhash ON updates (idhash, seq);
    `);
    const meta = db.prepare('SELECT v FROM meta WHERE k = 0').get() as { v: string } | undefined;
    this.#state =
      meta === undefined
        ? { lastSeq: -1, trimmedThrough: -1, count: 0, bytes: 0 }
        : (JSON.parse(meta.v) as StoreState);
    this.#oldest = db.prepare('SELECT seq, size FROM updates ORDER BY seq LIMIT 1');
    this.#delete = db.prepare('DELETE FROM updates WHERE seq = ?');
    this.#insert = db.prepare(
      'INSERT INTO updates (seq, idhash, size, record) VALUES (?, ?, ?, ?)',
    );
    this.#meta = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (0, ?)');
    this.#range = db.prepare('SELECT seq, size, record FROM updates WHERE seq > ? ORDER BY seq');
    this.#rangeTo = db.prepare(
      'SELECT seq, size, record FROM updates WHERE seq > ? AND seq <= ? ORDER BY seq',
    );
    this.#byHash = db.prepare('SELECT seq, record FROM updates WHERE idhash = ? ORDER BY seq');
    this.#newest = db.prepare('SELECT record FROM updates ORDER BY seq DESC');
  }

  get state(): StoreState {
    return this.#state;
  }

  async append(appends: readonly Append[], limits: Limits): Promise<StoreState> {
    // One event-loop turn first, as an asynchronous engine gives: sockets
    // are served between commits (the commit itself still blocks).
    await new Promise((resolve) => setImmediate(resolve));
    return this.#commit(appends, limits);
  }

  #commit(appends: readonly Append[], limits: Limits): Promise<StoreState> {
    const last = appends.at(-1);
    if (last === undefined) return Promise.resolve(this.#state);
    const started = performance.now();
    try {
      this.#state = this.#db.transaction(() => {
        let { count, bytes, trimmedThrough } = this.#state;
        for (const item of appends) {
          if (item.record === undefined) continue;
          while (
            count > 0 &&
            (count >= limits.historySize || bytes + item.size > limits.historyBytes)
          ) {
            const oldest = this.#oldest.get() as { seq: number; size: number } | undefined;
            if (oldest === undefined) {
              count = 0;
              bytes = 0;
              break;
            }
            this.#delete.run(oldest.seq);
            count--;
            bytes = Math.max(0, bytes - oldest.size);
            trimmedThrough = oldest.seq;
          }
          this.#insert.run(item.seq, item.hash, item.size, item.record);
          count++;
          bytes += item.size;
        }
        const state: StoreState = { lastSeq: last.seq, trimmedThrough, count, bytes };
        this.#meta.run(JSON.stringify(state));
        return state;
      })();
      sqliteBlocking.ms += performance.now() - started;
      sqliteBlocking.commits++;
      return Promise.resolve(this.#state);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  *records(
    afterSeq: number | undefined,
    upToSeq: number | undefined,
  ): Generator<{ seq: number; size: number; update: Update | undefined }> {
    const rows =
      upToSeq === undefined
        ? this.#range.iterate(afterSeq ?? -1)
        : this.#rangeTo.iterate(afterSeq ?? -1, upToSeq);
    for (const row of rows as IterableIterator<Row>) {
      const update = decodeRecord(row.record);
      if (update === undefined) this.damaged++;
      yield { seq: row.seq, size: recordSize(row.record), update };
    }
  }

  find(id: string): { seq: number; update: Update } | undefined {
    for (const row of this.#byHash.iterate(idHash(id)) as IterableIterator<Row>) {
      const update = decodeRecord(row.record);
      if (update?.id === id) return { seq: row.seq, update };
    }
    return undefined;
  }

  newest(): Update | undefined {
    for (const row of this.#newest.iterate() as IterableIterator<Row>) {
      const update = decodeRecord(row.record);
      if (update !== undefined) return update;
    }
    return undefined;
  }

  diskBytes(): Promise<number> {
    const size = (name: string): number => {
      try {
        return statSync(join(this.dir, name)).size;
      } catch {
        return 0;
      }
    };
    return Promise.resolve(size('store.sqlite') + size('store.sqlite-wal'));
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** The file transport's queue on a SQLite store at `path` (no lock: benchmark only). */
export async function createSqliteTransport(
  Database: DatabaseConstructor,
  options: { path: string; historySize: number; historyBytes: number; fsync: 'always' | 'batch' },
): Promise<Transport> {
  const store = new SqliteStore(Database, options.path);
  return new FileTransport(
    store,
    { release: () => Promise.resolve() },
    {
      historySize: options.historySize,
      historyBytes: options.historyBytes,
      fsync: options.fsync,
      onError: (error) => {
        console.error('sqlite transport:', error);
      },
    },
    await store.diskBytes(),
    { droppedTransaction: false, droppedRecords: 0 },
  );
}
