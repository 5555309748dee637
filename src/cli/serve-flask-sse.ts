/**
 * `ssehub serve --flask-sse redis://…`: the flask-sse bridge
 * (`src/bridges/flask-sse/`) and its stream endpoint, read from the flags and
 * started with the server.
 *
 * One process: the bridge publishes on the server's hub and its counters go
 * to `/metrics`. With `--workers N` (Redis, or the transport the primary
 * holds and serves to the workers): every worker
 * serves the stream endpoint, and the primary process runs the one bridge,
 * on a hub of its own over the same transport, so each message is published
 * once; its counters are then only in its logs (the primary serves no HTTP).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHub, type Hub, type Transport } from '../hub/index.js';
import type { FlaskSseRouteOptions, HubServerOptions } from '../hub-server/index.js';
import { DEFAULT_MAX_DATA_BYTES, DEFAULT_MAX_TOPICS } from '../mercure/options.js';
import { listFlag, stringFlag, UsageError, type ParsedFlags } from './flags.js';
import { redactUrl, redisUrl } from './serve-transport.js';

/** What `--flask-sse*` ask for. */
export interface FlaskSseChoice {
  readonly url: string;
  readonly shownUrl: string;
  /** `undefined`: every channel. */
  readonly channels: readonly string[] | undefined;
  readonly route: FlaskSseRouteOptions;
}

const AUTH_MODES = ['anonymous', 'jwt'] as const;

/** Reads `--flask-sse*`; `undefined` without `--flask-sse`. */
export function flaskSseChoice(flags: ParsedFlags): FlaskSseChoice | undefined {
  const raw = stringFlag(flags, 'flask-sse')?.trim();
  const related = [
    'flask-sse-channels',
    'flask-sse-path',
    'flask-sse-auth',
    'flask-sse-topic-prefix',
  ];
  if (raw === undefined || raw === '') {
    for (const name of related) {
      if (flags.values[name] !== undefined) {
        throw new UsageError(`${flags.label(name)} needs --flask-sse <redis url>`);
      }
    }
    return undefined;
  }
  const url = redisUrl(
    raw,
    flags.label('flask-sse'),
    'the redis:// or rediss:// URL the Flask app publishes on (its SSE_REDIS_URL or REDIS_URL)',
  );
  // Repeatable, and a comma-separated list works on the command line too.
  const channels = listFlag(flags, 'flask-sse-channels').flatMap((v) =>
    v
      .split(',')
      .map((channel) => channel.trim())
      .filter((channel) => channel !== ''),
  );
  const auth = stringFlag(flags, 'flask-sse-auth') ?? 'anonymous';
  if (!(AUTH_MODES as readonly string[]).includes(auth)) {
    throw new UsageError(
      `${flags.label('flask-sse-auth')} must be one of ${AUTH_MODES.join(', ')}, got "${auth}"`,
    );
  }
  return {
    url: url.href,
    shownUrl: redactUrl(url),
    channels: channels.length > 0 ? channels : undefined,
    route: {
      path: stringFlag(flags, 'flask-sse-path'),
      auth: auth as (typeof AUTH_MODES)[number],
      topicPrefix: stringFlag(flags, 'flask-sse-topic-prefix'),
    },
  };
}

/** A running bridge, as `serve` holds it. */
export interface RunningFlaskSse {
  close(): Promise<void>;
}

/**
 * Starts the bridge on `hub` (one process) and registers its metrics.
 * Rejects with `SSE_ERR_TRANSPORT_UNAVAILABLE` when Redis is unreachable.
 */
export async function startFlaskSse(
  hub: Pick<Hub, 'publish'>,
  choice: FlaskSseChoice,
  logger: Logger,
  registry: Registry | undefined,
): Promise<RunningFlaskSse> {
  const { createFlaskSseBridge } = await import('../bridges/flask-sse/bridge.js');
  const bridge = await createFlaskSseBridge({
    hub,
    url: choice.url,
    channels: choice.channels,
    topicPrefix: choice.route.topicPrefix,
    private: choice.route.auth === 'jwt',
    logger,
  });
  if (registry !== undefined) {
    const { registerFlaskSseMetrics } = await import('../bridges/flask-sse/metrics.js');
    registerFlaskSseMetrics(registry, () => bridge.stats());
  }
  return bridge;
}

/**
 * `--workers N`: the primary's bridge, on a hub of its own over the shared
 * transport (Redis, or the one the primary holds and serves to the
 * workers); workers publish nothing from flask-sse themselves. Closing it
 * closes that transport.
 */
export async function startPrimaryFlaskSse(
  choice: FlaskSseChoice,
  shared: Transport,
  options: HubServerOptions,
  logger: Logger,
): Promise<RunningFlaskSse> {
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  const hub = createHub({
    transport: shared,
    maxDataBytes: options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
    maxTopicsPerUpdate: maxTopics,
    maxTopicsPerSubscription: maxTopics,
  });
  let bridge: RunningFlaskSse;
  try {
    bridge = await startFlaskSse(hub, choice, logger, undefined);
  } catch (error) {
    await hub.close();
    throw error;
  }
  return {
    async close() {
      await bridge.close();
      await hub.close();
    },
  };
}
