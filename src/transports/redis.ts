/**
 * The Redis Streams transport: many hub processes share one history and see
 * every update, in one order.
 *
 * Keys (with the default prefix `ssehub`):
 *
 * - `{ssehub}:updates`: a stream, one entry per update. Fields: `id`, `topics`
 *   (JSON array), `data`, `type` and `retry` (only when set), `private`
 *   (`1`/`0`). Stream order is THE order: every process delivers and replays
 *   in it.
 * - `{ssehub}:ids`: a hash, update id → stream entry id. Publisher ids are any
 *   string (Mercure), so they cannot be stream ids; the hash finds the entry
 *   of a `Last-Event-ID` in O(1).
 *
 * Invariants, kept by doing every write in one Lua script (atomic in Redis):
 *
 * - The hash holds exactly the ids of the entries in the stream: an entry and
 *   its mapping are written together, and trimmed together.
 * - Ids are unique within the stream: a dispatch whose id is in the hash is
 *   refused with `SSE_ERR_INVALID_FIELD` (field `id`), as the memory
 *   transport does, and nothing is written.
 * - Trimming: once the stream holds `historySize + slack` entries, the
 *   oldest are removed down to exactly `historySize` (their ids leave the
 *   hash in the same script). `slack` is `historySize / 10` clamped to
 *   1..100, so the cost is amortized O(1) per dispatch and the stream always
 *   holds between `historySize` (once that many were published) and
 *   `historySize + 99` entries. (`XADD … MAXLEN ~` alone would trim entries
 *   whose ids we could no longer remove from the hash.)
 *
 * Delivery: ONE reader per transport (per hub process) runs a blocking
 * `XREAD BLOCK … STREAMS <key> <last delivered entry id>` loop on its own
 * connection and calls the listener in stream order. `dispatch()` resolves
 * once the entry is stored; the listener is called afterwards, by the reader
 * (unlike the memory transport, which calls it before `dispatch()` settles).
 * What the listener sees is therefore always in history already, which is
 * what the hub's replay relies on.
 *
 * Start-up: the factory reads the newest entry id (or `0-0` for an empty
 * stream) BEFORE it resolves, and the reader starts from that id rather than
 * from `$`. With `$` an update written between "factory resolved" and "first
 * XREAD reached Redis" (this process's own first dispatch included) would be
 * skipped; with a concrete id it is delivered. Entries older than the start
 * are history, reachable only through {@link Transport.history}.
 *
 * Connection loss: both connections reconnect with exponential backoff
 * (50 ms doubling to 2 s). Meanwhile `dispatch()`, `history()` and
 * `lastEventId()` reject at once (no offline queue: nothing is acknowledged
 * that was not stored, and the hub answers 503). The reader resumes from the
 * last entry it delivered, so nothing written meanwhile is skipped or
 * delivered twice, unless more than the retained history was written while
 * it was away (those entries are trimmed and lost to this process).
 *
 * Redis Cluster: the keys of one prefix share a hash tag, so they live in
 * one hash slot, on one primary: ONE prefix is served by one Redis node,
 * whatever the size of the cluster. Every update goes through that node (the
 * stream is a total order, which is what makes any process able to resume
 * any client). To spread load over several nodes, shard by topic family:
 * run separate groups of hubs with different prefixes (their keys hash to
 * different slots), each serving its own hub URL; a subscriber to topics of
 * two groups opens two streams.
 *
 * Limits: data and fields travel as UTF-8 strings (a lone surrogate in
 * `data` does not round-trip). No {@link Transport.historyStats}: it would
 * need I/O.
 *
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { SseError } from '../protocol/sse-error.js';
import type { Transport, Update } from '../hub/types.js';

/** Options of {@link createRedisTransport}. */
export interface RedisTransportOptions {
  /**
   * Where Redis is: `redis://[[user]:password@]host[:port][/db]`, or
   * `rediss://…` for TLS.
   *
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * Prefix of the keys (`{<prefix>}:updates`, `{<prefix>}:ids`: the braces
   * make it a Redis Cluster hash tag). Hubs that share a prefix share
   * updates and history.
   *
   * @default 'ssehub'
   */
  keyPrefix?: string | undefined;
  /**
   * Fewest updates kept for replay (`Last-Event-ID`); up to `historySize / 10`
   * more (at most 99 more) may be held between trims. At least 1: the stream
   * also carries live updates to the other processes.
   *
   * @default 1000
   */
  historySize?: number | undefined;
  /**
   * How long one blocking `XREAD` waits before it is issued again, in ms.
   *
   * @default 5000
   */
  blockMs?: number | undefined;
  /**
   * How long connecting at start-up may take before the factory rejects, in ms.
   *
   * @default 5000
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Told about connection errors (while reconnecting) and about errors
   * thrown by the listener. The transport keeps going after both.
   *
   * @default a no-op
   */
  onError?: ((error: unknown) => void) | undefined;
}

/** Default for {@link RedisTransportOptions.url}. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Default for {@link RedisTransportOptions.keyPrefix}. */
export const DEFAULT_KEY_PREFIX = 'ssehub';
const DEFAULT_HISTORY_SIZE = 1000;
const DEFAULT_BLOCK_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Entries read by one `XREAD`. */
const READ_COUNT = 500;

/**
 * KEYS: stream, ids hash. ARGV: historySize, slack, then the entry's fields
 * and values (the first pair is `id`, the update id). Returns the new entry
 * id, or false (nil) when the id is already in the stream.
 */
const DISPATCH_SCRIPT = `
local id = ARGV[4]
if redis.call('HEXISTS', KEYS[2], id) == 1 then return false end
local entry = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
redis.call('HSET', KEYS[2], id, entry)
local size = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
if len >= size + tonumber(ARGV[2]) then
  local old = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - size)
  for _, e in ipairs(old) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'id' then redis.call('HDEL', KEYS[2], f[i + 1]) break end
    end
  end
  redis.call('XTRIM', KEYS[1], 'MAXLEN', size)
end
return entry
`;

/**
 * KEYS: stream, ids hash. ARGV: update id. Returns the entries after it, or
 * false (nil) when the id is not in the stream. One script, so a trim cannot
 * fall between the lookup and the range.
 */
const HISTORY_SCRIPT = `
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return false end
return redis.call('XRANGE', KEYS[1], '(' .. entry, '+')
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const DISPATCH = script(DISPATCH_SCRIPT);
const HISTORY = script(HISTORY_SCRIPT);

type Client = ReturnType<typeof createClient>;
type Listener = (update: Update) => void;
/** A raw stream entry as RESP2 returns it: `[entryId, [field, value, …]]`. */
type RawEntry = [string, string[]];

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

function unavailable(error: unknown): SseError {
  return new SseError(
    'SSE_ERR_TRANSPORT_UNAVAILABLE',
    'Redis is unreachable; the update was not stored.',
    { cause: error },
  );
}

/** Most updates {@link RedisTransport} remembers while waiting to read them back. */
const OWN_MAX = 10_000;

function toFields(update: Update): string[] {
  // `id` first: the scripts read the update id from the first pair.
  const fields = ['id', update.id, 'topics', JSON.stringify(update.topics), 'data', update.data];
  if (update.type !== undefined) fields.push('type', update.type);
  if (update.retry !== undefined) fields.push('retry', String(update.retry));
  fields.push('private', update.private ? '1' : '0');
  return fields;
}

function fromFields(fields: readonly string[]): Update {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? '', fields[i + 1] ?? '');
  const retry = map.get('retry');
  return {
    id: map.get('id') ?? '',
    topics: JSON.parse(map.get('topics') ?? '[]') as string[],
    data: map.get('data') ?? '',
    type: map.get('type'),
    retry: retry === undefined ? undefined : Number(retry),
    private: map.get('private') === '1',
  };
}

function backoff(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

class RedisTransport implements Transport {
  readonly #client: Client;
  readonly #reader: Client;
  readonly #stream: string;
  readonly #ids: string;
  readonly #size: string;
  readonly #slack: string;
  readonly #blockMs: number;
  readonly #onError: (error: unknown) => void;
  #listeners: Listener[] = [];
  /**
   * Updates this process is writing, by id, with the fields written: the
   * reader hands back the same object when it reads that entry, so the hub
   * finds the frame it already encoded (one encoding per update per
   * process). Bounded: an entry the reader never sees (trimmed first) is
   * dropped after {@link OWN_MAX} newer ones.
   */
  readonly #own = new Map<string, { update: Update; fields: string[] }>();
  #lastDelivered: string;
  #closed = false;
  #loop: Promise<void> | undefined;
  /** Wakes the reader's backoff wait on close. */
  #wake: (() => void) | undefined;

  constructor(
    client: Client,
    reader: Client,
    prefix: string,
    historySize: number,
    blockMs: number,
    startId: string,
    onError: (error: unknown) => void,
  ) {
    this.#client = client;
    this.#reader = reader;
    this.#stream = streamKey(prefix);
    this.#ids = idsKey(prefix);
    this.#size = String(historySize);
    this.#slack = String(Math.min(100, Math.max(1, Math.floor(historySize / 10))));
    this.#blockMs = blockMs;
    this.#lastDelivered = startId;
    this.#onError = onError;
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
          this.#stream,
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
          this.#deliver(this.#ownUpdate(fields) ?? fromFields(fields));
        }
      }
    }
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

  #deliver(update: Update): void {
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  async #eval(s: Script, args: string[]): Promise<unknown> {
    const rest = ['2', this.#stream, this.#ids, ...args];
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
    let entry: unknown;
    try {
      entry = await this.#eval(DISPATCH, [this.#size, this.#slack, ...fields]);
    } catch (error) {
      this.#own.delete(update.id);
      throw unavailable(error);
    }
    if (entry === null) {
      this.#own.delete(update.id);
      throw new SseError(
        'SSE_ERR_INVALID_FIELD',
        `"id" must be unique: an update with id "${update.id}" is still in history`,
        { field: 'id' },
      );
    }
  }

  subscribe(listener: Listener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  async history(afterId: string): Promise<{ found: boolean; updates: Update[] }> {
    const reply =
      afterId === 'earliest'
        ? await this.#client.sendCommand(['XRANGE', this.#stream, '-', '+'])
        : await this.#eval(HISTORY, [afterId]);
    if (!Array.isArray(reply)) return { found: false, updates: [] };
    return { found: true, updates: (reply as RawEntry[]).map(([, fields]) => fromFields(fields)) };
  }

  async lastEventId(): Promise<string | undefined> {
    const reply = await this.#client.sendCommand<RawEntry[] | null>([
      'XREVRANGE',
      this.#stream,
      '+',
      '-',
      'COUNT',
      '1',
    ]);
    const newest = reply?.[0];
    return newest === undefined ? undefined : fromFields(newest[1]).id;
  }

  /** Both connections are up (they reconnect by themselves when not). */
  reachable(): boolean {
    return !this.#closed && this.#client.isReady && this.#reader.isReady;
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
function streamKey(prefix: string): string {
  return `{${prefix}}:updates`;
}

/** The id map's key; same hash tag as {@link streamKey}. */
function idsKey(prefix: string): string {
  return `{${prefix}}:ids`;
}

/** Drops a connection now; a connection already closed is left alone. */
function destroyQuietly(client: Client): void {
  try {
    client.destroy();
  } catch {
    // Already closed (ClientClosedError): nothing to drop.
  }
}

/** A connection name Redis accepts (no spaces), to spot the reader in `CLIENT LIST`. */
function readerName(prefix: string): string {
  return `ssehub-reader:${prefix}`.replace(/[^\w:.-]/g, '_');
}

/**
 * Creates the Redis Streams transport and connects it; resolves once both
 * connections are up and the reader's start point is fixed (see the file
 * comment). Import it from `ssehub/transports/redis` (it loads the optional
 * `redis` peer dependency; the rest of ssehub never does).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` for a bad option;
 * `SSE_ERR_TRANSPORT_UNAVAILABLE` when Redis cannot be reached within
 * `connectTimeoutMs`.
 */
export async function createRedisTransport(
  options: RedisTransportOptions = {},
): Promise<Transport> {
  const historySize = checkInt('historySize', options.historySize, DEFAULT_HISTORY_SIZE, 1);
  const blockMs = checkInt('blockMs', options.blockMs, DEFAULT_BLOCK_MS, 1);
  const connectTimeoutMs = checkInt(
    'connectTimeoutMs',
    options.connectTimeoutMs,
    DEFAULT_CONNECT_TIMEOUT_MS,
    1,
  );
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  // Braces would change the hash tag (the two keys could land in different
  // Redis Cluster slots); spaces and the like only cause trouble in tools.
  if (typeof prefix !== 'string' || !/^[\w:.-]{1,100}$/.test(prefix)) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"keyPrefix" must be 1 to 100 letters, digits or _ : . -, got ${JSON.stringify(prefix)}`,
      { field: 'keyPrefix' },
    );
  }
  const onError = options.onError ?? (() => undefined);
  let started = false;
  const startedAt = Date.now();
  const socket = {
    connectTimeout: connectTimeoutMs,
    // At start-up give up after connectTimeoutMs; afterwards retry forever.
    reconnectStrategy: (retries: number, cause: Error): number | Error =>
      !started && Date.now() - startedAt >= connectTimeoutMs ? cause : backoff(retries),
  };
  const client = createClient({
    url: options.url ?? DEFAULT_REDIS_URL,
    disableOfflineQueue: true,
    socket,
  });
  const reader = client.duplicate({ name: readerName(prefix) });
  client.on('error', onError);
  reader.on('error', onError);
  try {
    await Promise.all([client.connect(), reader.connect()]);
    const newest = await client.sendCommand<RawEntry[] | null>([
      'XREVRANGE',
      streamKey(prefix),
      '+',
      '-',
      'COUNT',
      '1',
    ]);
    started = true;
    const transport = new RedisTransport(
      client,
      reader,
      prefix,
      historySize,
      blockMs,
      newest?.[0]?.[0] ?? '0-0',
      onError,
    );
    transport.start();
    return transport;
  } catch (error) {
    destroyQuietly(client);
    destroyQuietly(reader);
    throw new SseError(
      'SSE_ERR_TRANSPORT_UNAVAILABLE',
      `Redis is unreachable at ${redactUrl(options.url ?? DEFAULT_REDIS_URL)}.`,
      { cause: error },
    );
  }
}

/** The URL without its password, for messages and logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the given URL';
  }
}
