/**
 * A worker's side: a {@link Transport} whose history and order live in the
 * primary. Each call goes to the primary and waits for its answer; live
 * updates come from the primary, in the primary transport's order, with
 * its positions, so `livePosition()` is synchronous and exact here too: the
 * position of the last update this worker handed to its listeners.
 *
 * - `dispatch()` resolves once the primary's transport stored the update
 *   (for the file transport: synced to disk), never before; the live copy
 *   of an update reaches this worker before the answer to its own
 *   `dispatch()` (one ordered channel; the primary's transports deliver
 *   before they resolve).
 * - `history()` is one page read from the primary's transport; positions
 *   are the primary's, so any worker can resume any subscriber.
 * - The link gone (the primary died; node:cluster ends the worker then),
 *   calls waiting for an answer, and later calls, reject with
 *   `SSE_ERR_TRANSPORT_UNAVAILABLE`, and `reachable()` is false.
 * - `historyStats()`, `counters()`, `appendLatency()`: the primary's, as it
 *   last sent them (at most a second old).
 */
import { SseError } from '../../protocol/sse-error.js';
import type {
  HistoryPage,
  HistoryQuery,
  Position,
  Transport,
  TransportHistoryStats,
  TransportLatency,
  TransportListener,
  Update,
} from '../../hub/types.js';
import type { Channel } from './channel.js';
import {
  errorFromWire,
  fromWire,
  isOurs,
  pageFromWire,
  TAG,
  type Request,
  type ToPrimary,
  type ToWorker,
  type WireStats,
} from './wire.js';

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

function unavailable(message: string): SseError {
  return new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', message);
}

class WorkerTransport implements Transport {
  readonly #channel: Channel;
  readonly #waiting = new Map<number, Waiting>();
  #listeners: TransportListener[] = [];
  #next = 0;
  #live: Position;
  #stats: WireStats;
  #gone = false;
  #closed = false;

  constructor(channel: Channel, position: Position, stats: WireStats) {
    this.#channel = channel;
    this.#live = position;
    this.#stats = stats;
    if (stats.history !== undefined) {
      this.historyStats = () => this.#stats.history ?? { count: 0, bytes: 0 };
    }
    if (stats.counters !== undefined) this.counters = () => this.#stats.counters ?? {};
    if (stats.latency !== undefined) {
      const empty = {
        ...stats.latency,
        buckets: stats.latency.buckets.map(() => 0),
        count: 0,
        sumSeconds: 0,
      };
      this.appendLatency = () => this.#stats.latency ?? empty;
    }
  }

  /** One message from the primary (after `welcome`). */
  receive(message: ToWorker): void {
    if (message.kind === 'live') {
      const update = fromWire(message.update);
      this.#live = message.position;
      for (const listener of this.#listeners) listener(update, message.position);
    } else if (message.kind === 'res') {
      const waiting = this.#waiting.get(message.n);
      if (waiting === undefined) return;
      this.#waiting.delete(message.n);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(errorFromWire(message.error));
    } else if (message.kind === 'stats') {
      this.#stats = message.stats;
    }
  }

  /** The link to the primary is gone. */
  lost(): void {
    this.#gone = true;
    this.#rejectAll(
      unavailable('the primary process is gone: this worker cannot publish or replay'),
    );
  }

  #rejectAll(error: SseError): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(error);
  }

  #call(req: Request): Promise<unknown> {
    if (this.#closed) return Promise.reject(unavailable('the transport is closed'));
    if (this.#gone || !this.#channel.connected()) {
      return Promise.reject(
        unavailable('the primary process is gone: this worker cannot publish or replay'),
      );
    }
    const n = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(n, { resolve, reject });
      const message: ToPrimary = { ssehub: TAG, kind: 'req', n, req };
      this.#channel.send(message);
    });
  }

  dispatch(update: Update): Promise<void> {
    return this.#call({ op: 'dispatch', update }).then(() => undefined);
  }

  subscribe(listener: TransportListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  livePosition(): Position {
    return this.#live;
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    return pageFromWire((await this.#call({ op: 'history', query })) as HistoryPage);
  }

  async lastEventId(): Promise<string | undefined> {
    return ((await this.#call({ op: 'last' })) as string | null | undefined) ?? undefined;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#listeners = [];
    this.#rejectAll(unavailable('the transport is closed'));
    this.#channel.detach();
    return Promise.resolve();
  }

  reachable(): boolean {
    return !this.#gone && !this.#closed && this.#channel.connected();
  }

  // Present exactly when the primary's transport has them (as of `welcome`).
  readonly historyStats?: () => TransportHistoryStats;
  readonly counters?: () => Readonly<Record<string, number>>;
  readonly appendLatency?: () => TransportLatency;
}

/** Options of {@link connectWorkerTransport}. */
export interface WorkerTransportOptions {
  /**
   * Most ms to wait for the primary's `welcome`.
   *
   * @default 10000
   */
  timeoutMs?: number | undefined;
}

/**
 * Connects to the primary over `channel` (says `hello`, waits for
 * `welcome`); resolves to the worker's transport.
 *
 * @throws {SseError} `SSE_ERR_TRANSPORT_UNAVAILABLE` when the primary does
 * not answer in time or the link closes first.
 */
export function connectWorkerTransport(
  channel: Channel,
  options: WorkerTransportOptions = {},
): Promise<Transport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<Transport>((resolve, reject) => {
    let transport: WorkerTransport | undefined;
    const timer = setTimeout(() => {
      channel.detach();
      reject(unavailable(`the primary process did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    channel.onClose(() => {
      if (transport !== undefined) {
        transport.lost();
        return;
      }
      clearTimeout(timer);
      reject(unavailable('the link to the primary process closed before it answered'));
    });
    channel.onMessage((raw) => {
      if (!isOurs(raw)) return;
      const message = raw as ToWorker;
      if (transport !== undefined) {
        transport.receive(message);
      } else if (message.kind === 'welcome') {
        clearTimeout(timer);
        transport = new WorkerTransport(channel, message.position, message.stats);
        resolve(transport);
      }
    });
    const hello: ToPrimary = { ssehub: TAG, kind: 'hello' };
    channel.send(hello);
  });
}
