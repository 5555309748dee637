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
 * - `{ssehub}:ids`: a hash, update id → stream entry id of its earliest
 *   occurrence. Publisher ids are any string (Mercure), and may be reused,
 *   so they cannot be stream ids; the hash finds the entry of a
 *   `Last-Event-ID` in O(1).
 * - `{ssehub}:bytes`: the size of the history in bytes (`updateSize` of each
 *   entry, stored in its `n` field), for the byte bound.
 *
 * Invariants, kept by doing every write in one Lua script (atomic in Redis):
 *
 * - The hash maps each id to the earliest entry of that id written while an
 *   entry of it was in the stream (`HSETNX`); an entry and its mapping are
 *   written together, and trimmed together. Limit: when the earliest entry
 *   of a reused id is trimmed, the id leaves the hash, so the later entries
 *   of that id are no longer found by id (a `Last-Event-ID` naming it
 *   answers `earliest`).
 * - Trimming (see `redis/scripts.ts`): once the stream holds
 *   `historySize + slack` entries, or more than `historyBytes` bytes, the
 *   oldest are removed down to `historySize` entries and `historyBytes`
 *   bytes. `slack` is `historySize / 10` clamped to 1..100, so the cost is
 *   amortized O(1) per dispatch. (`XADD … MAXLEN ~` alone would trim entries
 *   whose ids we could no longer remove from the hash.)
 *
 * Delivery: ONE reader per transport (per hub process) runs a blocking
 * `XREAD BLOCK … STREAMS <key> <last delivered entry id>` loop on its own
 * connection and calls the listener in stream order, with the entry's
 * position (`redis/entry.ts`); `livePosition()` is the last entry it
 * delivered. An entry that is not a valid update (written by another
 * program) is skipped, reported once through `onMalformedEntry`, and counted
 * (`counters().malformedEntries`): never a crash. `dispatch()` resolves
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
 * need I/O. A single update larger than `historyBytes` stays in the stream
 * until the next one (it carries the update to the other processes).
 *
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
import { createClient } from 'redis';
import { SseError } from '../protocol/sse-error.js';
import type { Transport } from '../hub/types.js';
import { type RawEntry } from './redis/entry.js';
import { RedisTransport, backoff, destroyQuietly, streamKey } from './redis/transport.js';

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
   * Most bytes of history (as `updateSize` counts them, the memory
   * transport's measure); the oldest entries are trimmed past it.
   *
   * @default 16777216 (16 MiB)
   */
  historyBytes?: number | undefined;
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
   * Told once about each stream entry that is not a valid update (written
   * by another program): its entry id and why. The entry is skipped and
   * counted (`counters().malformedEntries`).
   *
   * @default a no-op
   */
  onMalformedEntry?: ((entryId: string, reason: string) => void) | undefined;
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
const DEFAULT_HISTORY_BYTES = 16 * 1024 * 1024;
const DEFAULT_BLOCK_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

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
  const historyBytes = checkInt('historyBytes', options.historyBytes, DEFAULT_HISTORY_BYTES, 1);
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
      { historySize, historyBytes },
      blockMs,
      newest?.[0]?.[0] ?? '0-0',
      onError,
      options.onMalformedEntry ?? (() => undefined),
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
