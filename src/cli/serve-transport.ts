/**
 * `--transport`: where the hub's updates travel and its history lives, read
 * from the flag, and connected at start-up.
 */
import type { Logger } from 'pino';
import type { Transport } from '../hub/index.js';
import type { HubServerOptions } from '../hub-server/index.js';
import { stringFlag, UsageError, type ParsedFlags } from './flags.js';

/** Where updates travel: `--transport`. */
export type TransportChoice =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; shownUrl: string; keyPrefix: string | undefined };

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
  if (raw === 'memory') {
    if (keyPrefix !== undefined) {
      throw new UsageError(`${flags.label('redis-key-prefix')} needs a Redis --transport`);
    }
    return { kind: 'memory' };
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    const shown = url === undefined ? 'a value that is not a URL' : `"${redactUrl(url)}"`;
    throw new UsageError(
      `${flags.label('transport')} must be "memory" or a redis:// or rediss:// URL, got ${shown}`,
    );
  }
  return { kind: 'redis', url: url.href, shownUrl: redactUrl(url), keyPrefix };
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
