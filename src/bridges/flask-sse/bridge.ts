/**
 * The flask-sse bridge: reads the messages a Python app publishes with
 * flask-sse's `sse.publish()` on Redis pub/sub and publishes each, as the
 * event flask-sse's blueprint would have sent, on a hub, where it is kept in
 * history and streamed (`stream.ts`) with `Last-Event-ID` replay.
 *
 * Channels: all of them (`PSUBSCRIBE *`, the default), or the ones listed
 * (`SUBSCRIBE`). Redis pub/sub channels are global to a Redis server (not per
 * database): with `*`, messages of other programs on the same Redis arrive
 * too, and are skipped as malformed unless they happen to be flask-sse's
 * format; list the channels to avoid that.
 *
 * Size: one lifecycle (connect, subscribe, translate, publish, reconnect,
 * close) whose steps share the bridge's state; its pure parts already live
 * apart (`message.ts`, `python-json.ts`, `stream.ts`).
 *
 * Each message (see `message.ts` for the exact rules) becomes one update:
 * topic `<topicPrefix><channel>` (`topic.ts`), `data`, `type` and `retry`
 * as a browser would have read them from flask-sse's bytes, and the
 * message's `id` when it has one, else the hub's (`urn:uuid:…`). Ids are
 * kept as the app set them, so `event.lastEventId` is what it was with
 * flask-sse; the hub accepts reused ids, and a client resuming from a
 * reused id gets everything after its earliest occurrence still in
 * history (duplicates possible, no gap). With `private`, an id reused on a
 * channel the client may not read resumes from `earliest` instead. Unique
 * ids (or none) resume exactly.
 *
 * Order: updates are handed to the hub in the order Redis delivered the
 * messages (one connection, one order).
 *
 * Never a crash:
 * - a malformed message is skipped, counted by channel and reason
 *   (`stats().malformedByChannel`), reported to `onMalformed`, and logged
 *   once per channel (warn); the channel's later ones at debug level.
 *   Label cardinality is bounded: past `maxChannelLabels` distinct
 *   channels, the others count under {@link OTHER_CHANNELS}; labels are cut
 *   at 200 characters. A channel whose name is not UTF-8 counts as
 *   malformed too (`encoding`): no flask-sse stream can name it;
 * - a message whose `data` is `""` dispatches nothing in a browser: it is
 *   counted as `empty` and not published;
 * - an update the hub refuses (an id starting with `#` or equal to
 *   `earliest`, `data` over the hub's `maxDataBytes`) counts as malformed
 *   (reason `refused`); one the transport could not store (Redis transport
 *   away, hub closed) as `failed`, logged once until one succeeds again;
 * - losing Redis: the connection is retried with exponential backoff
 *   (100 ms doubling to 5 s, with jitter), forever; the loss is logged
 *   once, the return once. Redis pub/sub keeps nothing: messages published
 *   while the bridge is disconnected are lost (streams do not see them,
 *   and replay cannot return them). Apps that cannot lose an event should
 *   publish to the hub (Mercure `POST`) instead of flask-sse.
 *
 * Import it from `ssehub/bridges/flask-sse`; it loads the optional `redis`
 * peer dependency (nothing else in ssehub's server does).
 *
 * @see https://github.com/singingwolfboy/flask-sse/blob/main/flask_sse.py
 */
import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { Hub } from '../../hub/hub.js';
import { isSseError, SseError } from '../../protocol/sse-error.js';
import { decodeFlaskSseMessage, type MalformedReason } from './message.js';
import { channelTopic, checkTopicPrefix } from './topic.js';

/** What the bridge needs of a hub. */
export type FlaskSseHub = Pick<Hub, 'publish'>;

/** Label of the channels counted past `maxChannelLabels`. */
export const OTHER_CHANNELS = '(other)';

/** A skipped message, as {@link FlaskSseBridgeOptions.onMalformed} sees it. */
export interface MalformedMessage {
  /** The channel (its UTF-8 bytes decoded, invalid ones as U+FFFD). */
  readonly channel: string;
  readonly reason: MalformedReason;
  /** What is wrong, in a few words. */
  readonly detail: string;
  /** The message's bytes. */
  readonly message: Buffer;
}

/** Options of {@link createFlaskSseBridge}. */
export interface FlaskSseBridgeOptions {
  /** The hub to publish on. */
  readonly hub: FlaskSseHub;
  /**
   * Redis the Python app publishes on: `redis://[[user]:password@]host[:port]`,
   * `rediss://` for TLS (flask-sse's `SSE_REDIS_URL` / `REDIS_URL`; the
   * database number does not matter to pub/sub).
   *
   * @default 'redis://127.0.0.1:6379'
   */
  readonly url?: string | undefined;
  /**
   * The channels to bridge (exact names, `SUBSCRIBE`).
   *
   * @default every channel (`PSUBSCRIBE *`)
   */
  readonly channels?: readonly string[] | undefined;
  /** Prefix of the topics (see `topic.ts`). @default 'flask-sse:' */
  readonly topicPrefix?: string | undefined;
  /**
   * Publish private updates: only subscribers whose JWT allows the
   * channel's topic get them, on the stream endpoint and on the Mercure
   * endpoint alike. Use it when the streams require a JWT.
   *
   * @default false (public updates, as flask-sse: anyone who can reach the stream reads it)
   */
  readonly private?: boolean | undefined;
  /** Largest message read, in bytes; larger ones are skipped (`too-large`). @default 8388608 (8 MiB) */
  readonly maxMessageBytes?: number | undefined;
  /** Most channels counted by name (metric labels); the rest count as `(other)`. @default 100 */
  readonly maxChannelLabels?: number | undefined;
  /** Most updates handed to the hub and not yet stored; past it messages fail. @default 10000 */
  readonly maxPending?: number | undefined;
  /** How long connecting at start-up may take before the factory rejects, in ms. @default 5000 */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * The connection's name in Redis (`CLIENT SETNAME`), to find it in
   * `CLIENT LIST`: letters, digits and `_ : . -`.
   *
   * @default 'ssehub-flask-sse'
   */
  readonly clientName?: string | undefined;
  /** Called for every skipped message. @default undefined */
  readonly onMalformed?: ((message: MalformedMessage) => void) | undefined;
  /** A pino logger; nothing is logged without one. @default undefined */
  readonly logger?: Logger | undefined;
}

/** Counters of a bridge (read-only snapshot). */
export interface FlaskSseBridgeStats {
  /** Whether the Redis connection is up now. */
  readonly connected: boolean;
  /** Messages received. */
  readonly received: number;
  /** Messages published on the hub (stored). */
  readonly published: number;
  /** Messages with `data` `""`: nothing to dispatch, not published. */
  readonly empty: number;
  /** Messages skipped as malformed (any reason, `refused` included). */
  readonly malformed: number;
  /** Messages the hub could not store (transport unavailable, hub closed, too many pending). */
  readonly failed: number;
  /** Times the Redis connection was re-established after a loss. */
  readonly reconnects: number;
  /** Malformed messages by channel label, then by reason. */
  readonly malformedByChannel: ReadonlyMap<
    string,
    Readonly<Partial<Record<MalformedReason, number>>>
  >;
}

/** A running bridge. */
export interface FlaskSseBridge {
  /** A snapshot of the counters. */
  stats(): FlaskSseBridgeStats;
  /** Unsubscribes and disconnects. Idempotent. Updates already handed to the hub stay. */
  close(): Promise<void>;
}

/** Default of {@link FlaskSseBridgeOptions.url}. */
export const DEFAULT_FLASK_SSE_REDIS_URL = 'redis://127.0.0.1:6379';

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SseError('SSE_ERR_INVALID_OPTION', `"${name}" must be a positive integer`, {
      field: name,
    });
  }
  return value;
}

/** Reconnection delay: 100 ms doubling to 5 s, plus up to 20 % jitter. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.min(attempt, 6), 5000);
  return Math.round(base * (1 + Math.random() * 0.2));
}

/** The URL without its password, for logs and messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return 'the given URL';
  }
}

/** Errors from the hub that mean "this update cannot be published", not "try later". */
const REFUSED = new Set([
  'SSE_ERR_INVALID_FIELD',
  'SSE_ERR_DATA_TOO_LARGE',
  'SSE_ERR_INVALID_TOPIC',
  'SSE_ERR_TOO_MANY_TOPICS',
]);

const channelDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
/** Longest channel label in metrics and logs (UTF-16 code units). */
const MAX_LABEL_LENGTH = 200;

/**
 * Connects to Redis, subscribes, and starts bridging; resolves once
 * subscribed (messages published from then on are bridged).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` for a bad option;
 * `SSE_ERR_TRANSPORT_UNAVAILABLE` when Redis cannot be reached within
 * `connectTimeoutMs`.
 */
export async function createFlaskSseBridge(
  options: FlaskSseBridgeOptions,
): Promise<FlaskSseBridge> {
  const { hub, logger, onMalformed } = options;
  if (typeof hub !== 'object' || typeof (hub as Partial<FlaskSseHub>).publish !== 'function') {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"hub" must be a hub', { field: 'hub' });
  }
  const prefix = checkTopicPrefix(options.topicPrefix);
  const url = options.url ?? DEFAULT_FLASK_SSE_REDIS_URL;
  const shownUrl = redactUrl(url);
  const channels: readonly string[] | undefined = options.channels;
  const given: unknown = channels;
  if (
    given !== undefined &&
    (!Array.isArray(given) ||
      given.length === 0 ||
      !given.every((c) => typeof c === 'string' && c !== ''))
  ) {
    throw new SseError('SSE_ERR_INVALID_OPTION', '"channels" must be a non-empty list of names', {
      field: 'channels',
    });
  }
  const isPrivate = options.private ?? false;
  const maxMessageBytes = positiveInt('maxMessageBytes', options.maxMessageBytes, 8 * 1024 * 1024);
  const maxChannelLabels = positiveInt('maxChannelLabels', options.maxChannelLabels, 100);
  const maxPending = positiveInt('maxPending', options.maxPending, 10_000);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs, 5000);

  const counts = { received: 0, published: 0, empty: 0, malformed: 0, failed: 0, reconnects: 0 };
  const byChannel = new Map<string, Partial<Record<MalformedReason, number>>>();
  let pending = 0;
  let failing = false;
  let started = false;
  let lost = false;
  let closed = false;

  /** The label a channel counts under (bounded, see the file comment). */
  function labelOf(channel: string): string {
    const label =
      channel.length > MAX_LABEL_LENGTH ? `${channel.slice(0, MAX_LABEL_LENGTH)}…` : channel;
    if (byChannel.has(label) || byChannel.size < maxChannelLabels) return label;
    return OTHER_CHANNELS;
  }

  function skip(channel: string, reason: MalformedReason, detail: string, message: Buffer): void {
    counts.malformed++;
    const label = labelOf(channel);
    let reasons = byChannel.get(label);
    const first = reasons === undefined;
    if (reasons === undefined) {
      reasons = {};
      byChannel.set(label, reasons);
    }
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    const context = { channel: label, reason, detail, bytes: message.length };
    if (first) {
      logger?.warn(
        context,
        'flask-sse bridge: malformed message skipped (logged once per channel; see ssehub_flask_sse_malformed_total)',
      );
    } else logger?.debug(context, 'flask-sse bridge: malformed message skipped');
    try {
      onMalformed?.({ channel, reason, detail, message });
    } catch (error) {
      logger?.error({ err: error }, 'flask-sse bridge: onMalformed threw');
    }
  }

  function fail(channel: string, error: unknown): void {
    counts.failed++;
    if (failing) return;
    failing = true;
    logger?.error(
      { channel, err: error },
      'flask-sse bridge: the hub could not store a message (logged once until one is stored again)',
    );
  }

  function handle(message: Buffer, channelBytes: Buffer): void {
    if (closed) return;
    counts.received++;
    let channel: string;
    try {
      channel = channelDecoder.decode(channelBytes);
    } catch {
      // flask-sse's streams name channels in UTF-8 (redis-py encodes the
      // `channel` argument): no stream can ask for this one.
      skip(
        lenientDecoder.decode(channelBytes),
        'encoding',
        'the channel name is not UTF-8',
        message,
      );
      return;
    }
    if (message.length > maxMessageBytes) {
      skip(channel, 'too-large', `${message.length} bytes (max ${maxMessageBytes})`, message);
      return;
    }
    const decoded = decodeFlaskSseMessage(message);
    if (!decoded.ok) {
      skip(channel, decoded.reason, decoded.detail, message);
      return;
    }
    const { event } = decoded;
    if (event === undefined) {
      counts.empty++;
      return;
    }
    if (pending >= maxPending) {
      fail(channel, new Error(`${maxPending} updates are waiting for the hub already`));
      return;
    }
    pending++;
    let publishing: Promise<string>;
    try {
      // Called in message order: the hub hands updates to its transport in call order.
      publishing = hub.publish({
        topics: [channelTopic(channel, prefix)],
        data: event.data,
        type: event.type,
        id: event.id,
        retry: event.retry,
        private: isPrivate,
      });
    } catch (error) {
      publishing = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    publishing.then(
      () => {
        pending--;
        counts.published++;
        if (failing) {
          failing = false;
          logger?.info('flask-sse bridge: the hub stores messages again');
        }
      },
      (error: unknown) => {
        pending--;
        if (isSseError(error) && REFUSED.has(error.code)) {
          skip(channel, 'refused', error.message, message);
        } else fail(channel, error);
      },
    );
  }

  const clientName = options.clientName ?? 'ssehub-flask-sse';
  if (typeof clientName !== 'string' || !/^[\w:.-]{1,100}$/.test(clientName)) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      '"clientName" must be 1 to 100 letters, digits or _ : . -',
      { field: 'clientName' },
    );
  }
  const startedAt = Date.now();
  const client = createClient({
    url,
    name: clientName,
    socket: {
      connectTimeout: connectTimeoutMs,
      // At start-up give up after connectTimeoutMs; afterwards retry forever.
      reconnectStrategy: (retries: number, cause: Error): number | Error =>
        !started && Date.now() - startedAt >= connectTimeoutMs ? cause : reconnectDelay(retries),
    },
  });
  client.on('error', (error: unknown) => {
    if (!started || closed) return;
    if (!lost) {
      lost = true;
      logger?.error(
        { err: error, redis: shownUrl },
        'flask-sse bridge: Redis connection lost, reconnecting with backoff; messages published meanwhile are lost (Redis pub/sub keeps nothing)',
      );
    }
  });
  client.on('ready', () => {
    if (!started || !lost || closed) return;
    lost = false;
    counts.reconnects++;
    logger?.info(
      { redis: shownUrl },
      'flask-sse bridge: Redis reachable again; messages published while disconnected were not received',
    );
  });
  try {
    await client.connect();
    if (channels === undefined) await client.pSubscribe('*', handle, true);
    else await client.subscribe([...channels], handle, true);
  } catch (error) {
    try {
      client.destroy();
    } catch {
      // Already closed.
    }
    throw new SseError(
      'SSE_ERR_TRANSPORT_UNAVAILABLE',
      `flask-sse bridge: Redis is unreachable at ${shownUrl}.`,
      { cause: error },
    );
  }
  started = true;
  logger?.info(
    { redis: shownUrl, channels: channels ?? '*', topicPrefix: prefix, private: isPrivate },
    'flask-sse bridge: subscribed',
  );

  return {
    stats() {
      const malformedByChannel = new Map<string, Partial<Record<MalformedReason, number>>>();
      for (const [label, reasons] of byChannel) malformedByChannel.set(label, { ...reasons });
      return { ...counts, connected: client.isReady, malformedByChannel };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (client.isReady) await client.close();
        else client.destroy();
      } catch {
        try {
          client.destroy();
        } catch {
          // Already closed.
        }
      }
    },
  };
}
