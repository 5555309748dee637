/**
 * Active subscriptions shared by every hub process on one Redis key prefix
 * (the hub's `SubscriptionRegistry`, see `hub/subscription-registry.ts`).
 *
 * Keys (the prefix's hash tag, like the stream's):
 * - `{prefix}:subs:procs`: a sorted set, one member per live process, scored
 *   by when its lease ends (ms, Redis' clock: no skew between machines);
 * - `{prefix}:subs:proc:<process>`: a hash per process, subscription id →
 *   its JSON document.
 *
 * Leases: every `leaseInterval` ms each process renews its lease to
 * now + 2 × `leaseInterval` and reaps the processes whose lease ended: one
 * Lua script removes a dead process from the set and deletes its hash
 * atomically, so exactly one survivor claims each dead process's
 * subscriptions and announces them `active: false`. Bound: a process that
 * dies at t renewed at t − L at the latest, so its lease ends by t + L and a
 * survivor reaps it by t + 2L; with timer drift and the announcement's own
 * latency, it is announced within **3 × `leaseInterval`** (3 s by default).
 * A list never shows a process whose lease ended, reaped or not.
 *
 * A process cut off from Redis for longer than its lease is reaped like a
 * dead one; when it renews again it finds itself gone and adds and
 * announces its subscriptions again (`RegistryEvents.lost`).
 *
 * The scripts read the per-process hashes by name (not declared in KEYS);
 * they share the hash tag, so on Redis Cluster they sit in the same slot.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  RegistryEvents,
  SubscriptionDocument,
  SubscriptionRegistry,
  SubscriptionRegistryOptions,
} from '../../hub/subscription-registry.js';
import type { Client } from './transport.js';

/** `now` in ms from Redis' own clock. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Renews this process's lease. KEYS[1]: the set; ARGV: the process, the
 * lease in ms. Returns 1 when renewed in time, 2 when the lease had ended
 * (not reaped yet), 0 when the process was not in the set (first call, or
 * reaped).
 */
const RENEW = `${NOW}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if not score then return 0 end
if tonumber(score) < now then return 2 end
return 1
`;

/**
 * Claims up to 10 processes whose lease ended. KEYS[1]: the set; ARGV: the
 * hashes' key prefix. Returns their documents (JSON), their hashes deleted.
 */
const REAP = `${NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 10)
local out = {}
for _, p in ipairs(dead) do
  redis.call('ZREM', KEYS[1], p)
  local h = ARGV[1] .. p
  for _, v in ipairs(redis.call('HVALS', h)) do out[#out + 1] = v end
  redis.call('DEL', h)
end
return out
`;

/** Every live process's documents. KEYS[1]: the set; ARGV: the hashes' key prefix. */
const LIST = `${NOW}
local out = {}
for _, p in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  for _, v in ipairs(redis.call('HVALS', ARGV[1] .. p)) do out[#out + 1] = v end
end
return out
`;

function sha(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

const SCRIPTS = { RENEW, REAP, LIST } as const;
const SHAS = { RENEW: sha(RENEW), REAP: sha(REAP), LIST: sha(LIST) } as const;

function parse(values: unknown): SubscriptionDocument[] {
  if (!Array.isArray(values)) return [];
  const documents: SubscriptionDocument[] = [];
  for (const value of values) {
    try {
      const document = JSON.parse(String(value)) as SubscriptionDocument;
      if (typeof document.id === 'string') documents.push(document);
    } catch {
      // Not written by ssehub: skipped.
    }
  }
  return documents;
}

export class RedisSubscriptionRegistry implements SubscriptionRegistry {
  readonly #client: Client;
  readonly #set: string;
  readonly #hashPrefix: string;
  readonly #hash: string;
  readonly #interval: number;
  readonly #onError: (error: unknown) => void;
  #events: RegistryEvents | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  /** Settles after the first renewal: adds wait for it (a hash is listed only once its process is). */
  #ready: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(client: Client, prefix: string, options: SubscriptionRegistryOptions = {}) {
    this.#client = client;
    this.#set = `{${prefix}}:subs:procs`;
    this.#hashPrefix = `{${prefix}}:subs:proc:`;
    this.#hash = `${this.#hashPrefix}${randomUUID()}`;
    this.#interval = options.leaseInterval ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
  }

  start(events: RegistryEvents): void {
    this.#events = events;
    this.#ready = this.#renew(true).catch(this.#onError);
    this.#timer = setInterval(() => {
      this.#tick ??= this.#beat().finally(() => {
        this.#tick = undefined;
      });
    }, this.#interval);
    this.#timer.unref();
  }

  async add(documents: readonly SubscriptionDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await this.#ready;
    const fields = documents.flatMap((d) => [d.id, JSON.stringify(d)]);
    await this.#client.sendCommand(['HSET', this.#hash, ...fields]);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#client.sendCommand(['HDEL', this.#hash, ...ids]);
  }

  async list(): Promise<readonly SubscriptionDocument[]> {
    return parse(await this.#eval('LIST', [this.#hashPrefix]));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#tick;
    const member = this.#hash.slice(this.#hashPrefix.length);
    await this.#client.sendCommand(['ZREM', this.#set, member]);
    await this.#client.sendCommand(['DEL', this.#hash]);
  }

  /** Renews the lease, then reaps the dead. */
  async #beat(): Promise<void> {
    try {
      await this.#renew(false);
      const orphans = parse(await this.#eval('REAP', [this.#hashPrefix]));
      if (orphans.length > 0 && !this.#closed) this.#events?.orphaned(orphans);
    } catch (error) {
      this.#onError(error);
    }
  }

  async #renew(first: boolean): Promise<void> {
    if (this.#closed) return;
    const member = this.#hash.slice(this.#hashPrefix.length);
    const state = await this.#eval('RENEW', [member, String(2 * this.#interval)]);
    // Reaped (0) or listed as dead for a while (2): add and announce again.
    if (!first && Number(state) !== 1) this.#events?.lost();
  }

  async #eval(name: keyof typeof SCRIPTS, args: string[]): Promise<unknown> {
    const rest = ['1', this.#set, ...args];
    try {
      return await this.#client.sendCommand(['EVALSHA', SHAS[name], ...rest]);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return await this.#client.sendCommand(['EVAL', SCRIPTS[name], ...rest]);
    }
  }
}
