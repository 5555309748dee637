/**
 * The primary's side: the one real transport (memory or file), serving its
 * workers. It listens to the transport once and forwards every live update,
 * with its position, to each worker that said `hello`; it answers each
 * worker's calls (`dispatch`, a history page, the last id) with the
 * transport's own answer, so a worker's `dispatch()` resolves only after
 * the primary's transport stored the update (on disk, for the file
 * transport).
 *
 * Order: the transport's listener runs in the transport's order and sends
 * on every channel in that order; a `welcome` is sent in the same turn as
 * the live position it reports is read, so a worker sees exactly the
 * updates after it.
 */
import type { Transport, Update } from '../../hub/types.js';
import type { Channel } from './channel.js';
import {
  errorToWire,
  fromWire,
  isOurs,
  TAG,
  type Request,
  type ToPrimary,
  type ToWorker,
  type WireStats,
} from './wire.js';

/** How often the history figures are sent to the workers, at most (ms). */
export const STATS_EVERY_MS = 1000;

export interface PrimaryServer {
  /** Serves one worker's channel until it closes; returns a function that stops serving it. */
  attach(channel: Channel): () => void;
  /** Workers served (said `hello`, channel open). */
  readonly workers: number;
  /** Stops serving every worker (the transport stays open: its owner closes it). */
  close(): void;
}

/** Serves `transport` to the workers attached to the result. */
export function servePrimary(transport: Transport): PrimaryServer {
  const live = new Set<Channel>();
  const attached = new Set<Channel>();
  const unsubscribe = transport.subscribe((update: Update, position) => {
    const message: ToWorker = { ssehub: TAG, kind: 'live', update, position };
    for (const channel of live) channel.send(message);
  });
  let lastStats = '';
  const stats = (): WireStats => ({
    history: transport.historyStats?.(),
    counters: transport.counters?.(),
    latency: transport.appendLatency?.(),
  });
  const timer = setInterval(() => {
    if (live.size === 0) return;
    const now = stats();
    const text = JSON.stringify(now);
    if (text === lastStats) return;
    lastStats = text;
    const message: ToWorker = { ssehub: TAG, kind: 'stats', stats: now };
    for (const channel of live) channel.send(message);
  }, STATS_EVERY_MS);
  timer.unref();

  const answer = (channel: Channel, n: number, request: Request): void => {
    let result: Promise<unknown>;
    try {
      result =
        request.op === 'dispatch'
          ? transport.dispatch(fromWire(request.update)).then(() => undefined)
          : request.op === 'history'
            ? transport.history(request.query)
            : transport.lastEventId();
    } catch (error) {
      result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    result.then(
      (value) => {
        const message: ToWorker = { ssehub: TAG, kind: 'res', n, ok: true, value };
        channel.send(message);
      },
      (error: unknown) => {
        const message: ToWorker = {
          ssehub: TAG,
          kind: 'res',
          n,
          ok: false,
          error: errorToWire(error),
        };
        channel.send(message);
      },
    );
  };

  const server: PrimaryServer = {
    attach(channel) {
      attached.add(channel);
      const stop = (): void => {
        live.delete(channel);
        attached.delete(channel);
        channel.detach();
      };
      channel.onClose(stop);
      channel.onMessage((raw) => {
        if (!isOurs(raw)) return;
        const message = raw as ToPrimary;
        if (message.kind === 'hello') {
          live.add(channel);
          const welcome: ToWorker = {
            ssehub: TAG,
            kind: 'welcome',
            position: transport.livePosition(),
            stats: stats(),
          };
          channel.send(welcome);
        } else {
          answer(channel, message.n, message.req);
        }
      });
      return stop;
    },
    get workers() {
      return live.size;
    },
    close() {
      clearInterval(timer);
      unsubscribe();
      for (const channel of attached) channel.detach();
      attached.clear();
      live.clear();
    },
  };
  return server;
}
