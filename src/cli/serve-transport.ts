/**
 * `--transport`: where the hub's updates travel and its history lives, read
 * from the flag, and connected at start-up.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Transport } from '../hub/index.js';
import type { HubServerOptions } from '../hub-server/index.js';
import { choiceFlag, stringFlag, UsageError, type ParsedFlags } from './flags.js';

/** `--fsync` values (the file transport's `fsync` option). */
export const FSYNC_MODES = ['always', 'batch'] as const;

/** Where updates travel: `--transport`. */
export type TransportChoice =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; shownUrl: string; keyPrefix: string | undefined }
  | { kind: 'file'; path: string; fsync: (typeof FSYNC_MODES)[number] | undefined };

/** The URL with its password replaced, for logs and messages. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

export function transportChoice(flags: ParsedFlags): TransportChoice {
  const raw = stringFlag(flags, 'transport')?.trim() ?? 'memory';
  const keyPrefix = stringFlag(flags, 'redis-key-prefix');
  if (keyPrefix !== undefined && !/^[\w:.-]{1,100}$/.test(keyPrefix)) {
    throw new UsageError(
      `${flags.label('redis-key-prefix')} must be 1 to 100 letters, digits or _ : . -, got "${keyPrefix}"`,
    );
  }
  const fsync = choiceFlag(flags, 'fsync', FSYNC_MODES);
  if (raw.startsWith('file:')) {
    if (keyPrefix !== undefined) {
      throw new UsageError(`${flags.label('redis-key-prefix')} needs a Redis --transport`);
    }
    return { kind: 'file', path: filePath(raw, flags), fsync };
  }
  if (fsync !== undefined) {
    throw new UsageError(`${flags.label('fsync')} needs a file: --transport`);
  }
  if (raw === 'memory') {
    if (keyPrefix !== undefined) {
      throw new UsageError(`${flags.label('redis-key-prefix')} needs a Redis --transport`);
    }
    return { kind: 'memory' };
  }
  const url = redisUrl(
    raw,
    flags.label('transport'),
    '"memory" or a redis:// or rediss:// URL (or file:<folder>, a durable store on this machine)',
  );
  return { kind: 'redis', url: url.href, shownUrl: redactUrl(url), keyPrefix };
}

/**
 * A Redis URL from a flag: `redis[s]://[[user][:password]@]host[:port][/db]`
 * (the IANA `redis` scheme, as the Redis client reads it). Checked here, so
 * that a typo (`redis:/localhost`, `/db` for a number) is a usage error
 * naming the flag, never the client's stack trace at connection time.
 *
 * @param expected what the flag takes, for the message on a value that is
 * not a Redis URL at all.
 * @throws {UsageError} naming `label`; a password is never shown.
 */
export function redisUrl(raw: string, label: string, expected: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    const shown = url === undefined ? 'a value that is not a URL' : `"${redactUrl(url)}"`;
    throw new UsageError(`${label} must be ${expected}, got ${shown}`);
  }
  const shown = `"${redactUrl(url)}"`;
  const form = `${url.protocol}//host[:port][/db], e.g. ${url.protocol}//127.0.0.1:6379`;
  if (url.hostname === '') {
    throw new UsageError(`${label} ${shown} has no host: write ${form}`);
  }
  // The path is the database number, if any: "", "/" or "/<n>".
  if (!/^(\/\d{0,9})?$/.test(url.pathname)) {
    throw new UsageError(
      `${label} ${shown}: the database after the host must be a number (${form}/0), got "${decodeURIComponent(url.pathname.slice(1))}"`,
    );
  }
  return url;
}

/**
 * The folder of `file:<folder>`: a path (`file:./ssehub-data`,
 * `file:/var/lib/ssehub`), relative to the working directory, or a
 * `file:///…` URL. Resolved to an absolute path, as logs show it.
 */
function filePath(raw: string, flags: ParsedFlags): string {
  const rest = raw.slice('file:'.length);
  let path = rest;
  if (rest.startsWith('//')) {
    try {
      path = fileURLToPath(raw);
    } catch {
      path = '';
    }
  }
  if (path.trim() === '') {
    throw new UsageError(
      `${flags.label('transport')} file: needs a folder, e.g. file:./ssehub-data, got "${raw}"`,
    );
  }
  return resolve(path);
}

/**
 * Connects the Redis transport (rejects with `SSE_ERR_TRANSPORT_UNAVAILABLE`
 * when Redis cannot be reached at start-up). Afterwards, losing Redis is
 * logged once, and so is getting it back: meanwhile live streams stay open
 * and publishing answers 503.
 */
export async function connectRedis(
  choice: Extract<TransportChoice, { kind: 'redis' }>,
  options: HubServerOptions,
  logger: Logger,
): Promise<Transport> {
  const { createRedisTransport } = await import('../transports/redis.js');
  // Set once connected: errors before that are start-up failures (thrown).
  const connected: { transport?: Transport } = {};
  let watch: NodeJS.Timeout | undefined;
  const created = await createRedisTransport({
    url: choice.url,
    keyPrefix: choice.keyPrefix,
    historySize: options.historySize,
    historyBytes: options.historyBytes,
    onMalformedEntry: (entryId, reason) => {
      logger.warn(
        { redis: choice.shownUrl, entryId, reason },
        'skipped a malformed Redis stream entry (not written by ssehub?)',
      );
    },
    onError: (error) => {
      if (connected.transport === undefined || watch !== undefined) return;
      logger.error(
        { err: error, redis: choice.shownUrl },
        'Redis unreachable: publishing answers 503 until it is back; live streams stay open',
      );
      watch = setInterval(() => {
        if (connected.transport?.reachable?.() !== true) return;
        clearInterval(watch);
        watch = undefined;
        logger.info({ redis: choice.shownUrl }, 'Redis reachable again: delivery resumed');
      }, 250);
      watch.unref();
    },
  });
  connected.transport = created;
  return created;
}

/**
 * Opens the file transport's store (rejects with
 * `SSE_ERR_TRANSPORT_UNAVAILABLE` when it is locked by another process, in
 * another format, damaged or not writable). What opening repaired, damaged
 * records met later and failed commits are logged as warnings.
 */
export async function connectFile(
  choice: Extract<TransportChoice, { kind: 'file' }>,
  options: HubServerOptions,
  logger: Logger,
): Promise<Transport> {
  const { createFileTransport } = await import('../transports/file.js');
  return createFileTransport({
    path: choice.path,
    historySize: options.historySize,
    historyBytes: options.historyBytes,
    fsync: choice.fsync,
    onError: (error) => {
      logger.warn(
        { err: error, store: choice.path },
        error instanceof Error ? error.message : 'file transport error',
      );
    },
  });
}
