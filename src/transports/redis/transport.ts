/**
 * The Redis transport's engine: the connections, the reader loop, the
 * scripts' calls and the pages of history. What it promises, and why, is in
 * `../redis.ts`; the factory there creates and starts it.
 *
 * Size: one class: the reader loop and the calls of the three scripts
 * share the connection state; entry encoding and the scripts are apart.
 */
import type { createClient } from 'redis';
import { SseError } from '../../protocol/sse-error.js';
import type {
  HistoryPage,
  HistoryQuery,
  Position,
  Transport,
  TransportListener,
  Update,
} from '../../hub/types.js';
import type {
  SubscriptionRegistry,
  SubscriptionRegistryOptions,
} from '../../hub/subscription-registry.js';
import { fromFields, toEntryId, toFields, toPosition, type RawEntry } from './entry.js';
import { RedisSubscriptionRegistry } from './subscription-registry.js';
import { AFTER_ENTRY, AFTER_ID, DISPATCH, EARLIEST, type Script } from './scripts.js';

export type Client = ReturnType<typeof createClient>;

/** Entries read by one `XREAD`. */
const READ_COUNT = 500;

function unavailable(error: unknown): SseError {
  return new SseError(
    'SSE_ERR_TRANSPORT_UNAVAILABLE',
    'Redis is unreachable; the update was not stored.',
    { cause: error },
  );
}

/** Most updates {@link RedisTransport} remembers while waiting to read them back. */
const OWN_MAX = 10_000;

export function backoff(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class RedisTransport implements Transport {
  readonly #client: Client;
  readonly #reader: Client;
  readonly #keys: [string, string, string];
  readonly #prefix: string;
  readonly #size: string;
  readonly #slack: string;
  readonly #maxBytes: string;
  readonly #blockMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onMalformed: (entryId: string, reason: string) => void;
  #listeners: TransportListener[] = [];
  /**
   * Updates this process is writing, by id, with the fields written: the
   * reader hands back the same object when it reads that entry, so the hub
   * finds the frame it already encoded (one encoding per update per
   * process). Bounded: an entry the reader never sees (trimmed first) is
   * dropped after {@link OWN_MAX} newer ones.
   */
  readonly #own = new Map<string, { update: Update; fields: string[] }>();
  #lastDelivered: string;
  #malformed = 0;
  #closed = false;
  #loop: Promise<void> | undefined;
  /** Wakes the reader's backoff wait on close. */
  #wake: (() => void) | undefined;

  constructor(
    client: Client,
    reader: Client,
    prefix: string,
    limits: { historySize: number; historyBytes: number },
    blockMs: number,
    startId: string,
    onError: (error: unknown) => void,
    onMalformed: (entryId: string, reason: string) => void,
  ) {
    this.#client = client;
    this.#reader = reader;
    this.#keys = [streamKey(prefix), idsKey(prefix), bytesKey(prefix)];
    this.#prefix = prefix;
    this.#size = String(limits.historySize);
    this.#slack = String(Math.min(100, Math.max(1, Math.floor(limits.historySize / 10))));
    this.#maxBytes = String(limits.historyBytes);
    this.#blockMs = blockMs;
    this.#lastDelivered = startId;
    this.#onError = onError;
    this.#onMalformed = onMalformed;
  }

  /** A method, not the field: the reader checks it again after each await. */
  #stopped(): boolean {
    return this.#closed;
  }

  start(): void {
    this.#loop = this.#read();
  }

  async #read(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      let reply: unknown;
      try {
        reply = await this.#reader.sendCommand([
          'XREAD',
          'COUNT',
          String(READ_COUNT),
          'BLOCK',
          String(this.#blockMs),
          'STREAMS',
          this.#keys[0],
          this.#lastDelivered,
        ]);
        failures = 0;
      } catch (error) {
        if (this.#stopped()) return;
        this.#onError(error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff(failures++));
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        continue;
      }
      // RESP2: null on timeout, else [[key, [[entryId, fields], …]]].
      if (!Array.isArray(reply)) continue;
      const streams = reply as [string, RawEntry[]][];
      for (const [, entries] of streams) {
        for (const [entryId, fields] of entries) {
          if (this.#stopped()) return;
          this.#lastDelivered = entryId;
          const update = this.#ownUpdate(fields) ?? this.#read1(entryId, fields);
          if (update !== undefined) this.#deliver(update, toPosition(entryId));
        }
      }
    }
  }

  /** An entry as an update, or `undefined` (reported and counted) when it is not one. */
  #read1(entryId: string, fields: unknown): Update | undefined {
    const update = fromFields(fields);
    if (typeof update !== 'string') return update;
    this.#malformed++;
    this.#onMalformed(entryId, update);
    return undefined;
  }

  /** Entries read for a page: the malformed ones are skipped. */
  #updates(entries: readonly RawEntry[]): Update[] {
    const updates: Update[] = [];
    for (const [entryId, fields] of entries) {
      const update = this.#read1(entryId, fields);
      if (update !== undefined) updates.push(update);
    }
    return updates;
  }

  /** The object this process dispatched for these exact fields, if any. */
  #ownUpdate(fields: readonly string[]): Update | undefined {
    // `id` is the first pair (see toFields).
    const id = fields[1];
    if (id === undefined) return undefined;
    const own = this.#own.get(id);
    if (own === undefined) return undefined;
    this.#own.delete(id);
    const same =
      own.fields.length === fields.length && own.fields.every((value, i) => value === fields[i]);
    return same ? own.update : undefined;
  }

  #deliver(update: Update, position: Position): void {
    for (const listener of this.#listeners) {
      try {
        listener(update, position);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  async #eval(s: Script, args: string[]): Promise<unknown> {
    const rest = ['3', ...this.#keys, ...args];
    try {
      return await this.#client.sendCommand(['EVALSHA', s.sha, ...rest]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await this.#client.sendCommand(['EVAL', s.source, ...rest]);
    }
  }

  async dispatch(update: Update): Promise<void> {
    if (this.#closed) throw unavailable(new Error('The Redis transport is closed.'));
    const fields = toFields(update);
    // Registered before the write: the reader may see the entry before the
    // script's reply arrives.
    this.#own.set(update.id, { update, fields });
    if (this.#own.size > OWN_MAX) {
      const oldest = this.#own.keys().next();
      if (oldest.done !== true) this.#own.delete(oldest.value);
    }
    const size = fields[fields.length - 1] as string;
    try {
      await this.#eval(DISPATCH, [this.#size, this.#slack, this.#maxBytes, size, ...fields]);
    } catch (error) {
      this.#own.delete(update.id);
      throw unavailable(error);
    }
  }

  subscribe(listener: TransportListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  livePosition(): Position {
    return toPosition(this.#lastDelivered);
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    const { after } = query;
    const bounds = [
      query.upTo === undefined ? '+' : toEntryId(query.upTo),
      String(Math.max(1, query.limit)),
      String(Math.max(0, query.maxBytes)),
    ];
    let reply: unknown;
    let self: RawEntry | undefined;
    if (after === 'earliest') {
      reply = await this.#eval(EARLIEST, bounds);
    } else if ('id' in after) {
      const found = await this.#eval(AFTER_ID, [after.id, ...bounds]);
      if (!Array.isArray(found)) return { found: false, updates: [], next: undefined };
      const [entry, entries, more] = found as [RawEntry, RawEntry[], number];
      self = entry;
      reply = [entries, more];
    } else {
      reply = await this.#eval(AFTER_ENTRY, [toEntryId(after.position), ...bounds]);
      if (!Array.isArray(reply)) return { found: false, updates: [], next: undefined };
    }
    const [entries, more] = reply as [RawEntry[], number];
    const last = entries.at(-1);
    const read = self === undefined ? undefined : fromFields(self[1]);
    return {
      found: true,
      updates: this.#updates(entries),
      next: more === 1 && last !== undefined ? toPosition(last[0]) : undefined,
      afterPosition: self === undefined ? undefined : toPosition(self[0]),
      afterUpdate: read === undefined || typeof read === 'string' ? undefined : read,
    };
  }

  async lastEventId(): Promise<string | undefined> {
    const reply = await this.#client.sendCommand<RawEntry[] | null>([
      'XREVRANGE',
      this.#keys[0],
      '+',
      '-',
      'COUNT',
      '1',
    ]);
    const newest = reply?.[0];
    if (newest === undefined) return undefined;
    const update = fromFields(newest[1]);
    return typeof update === 'string' ? undefined : update.id;
  }

  /** Both connections are up (they reconnect by themselves when not). */
  reachable(): boolean {
    return !this.#closed && this.#client.isReady && this.#reader.isReady;
  }

  /** Active subscriptions listed across every process on this prefix (`subscription-registry.ts`). */
  subscriptionRegistry(options: SubscriptionRegistryOptions): SubscriptionRegistry {
    return new RedisSubscriptionRegistry(this.#client, this.#prefix, options);
  }

  counters(): Readonly<Record<string, number>> {
    return { malformedEntries: this.#malformed };
  }

  async close(): Promise<void> {
    if (this.#stopped()) return;
    this.#closed = true;
    this.#listeners = [];
    this.#own.clear();
    this.#wake?.();
    // destroy(), not close(): a graceful close would wait for the pending
    // blocking XREAD (up to blockMs).
    destroyQuietly(this.#reader);
    await this.#loop;
    await this.#client.close();
  }
}

/**
 * The stream's key. The prefix is a Redis Cluster hash tag (`{…}`), so both
 * keys of a prefix live in one hash slot, as the Lua scripts (which touch
 * both) require there.
 */
export function streamKey(prefix: string): string {
  return `{${prefix}}:updates`;
}

/** The id map's key; same hash tag as {@link streamKey}. */
export function idsKey(prefix: string): string {
  return `{${prefix}}:ids`;
}

/** The byte counter's key; same hash tag as {@link streamKey}. */
export function bytesKey(prefix: string): string {
  return `{${prefix}}:bytes`;
}

/** Drops a connection now; a connection already closed is left alone. */
export function destroyQuietly(client: Client): void {
  try {
    client.destroy();
  } catch {
    // Already closed (ClientClosedError): nothing to drop.
  }
}
