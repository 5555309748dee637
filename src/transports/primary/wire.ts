/**
 * The messages between the primary's transport and its workers, and how an
 * update, a page and an error travel in them. Every message is a plain
 * object with a `ssehub` tag (the cluster channel also carries node's own
 * messages and maybe the application's: untagged ones are ignored).
 *
 * Worker → primary:
 * - `hello`: the worker's transport is ready for live updates; answered by
 *   `welcome` with the primary's live position at that instant (every live
 *   update sent after it is after that position: one ordered channel).
 * - `req`: one call (`dispatch`, `history`, `last`), numbered by the worker;
 *   answered by one `res` with the same number.
 *
 * Primary → worker: `welcome`, `res`, `live` (one update and its position,
 * in the transport's order) and `stats` (history size, counters, append
 * latency, for the worker's /healthz and /metrics; sent at most once a
 * second, when they changed).
 */
import { isSseError, SseError } from '../../protocol/sse-error.js';
import type {
  HistoryPage,
  HistoryQuery,
  Position,
  TransportHistoryStats,
  TransportLatency,
  Update,
} from '../../hub/types.js';

/** The tag of every message of this protocol. */
export const TAG = 'transport/1';

/** An update as sent: JSON drops `undefined` fields, so they come back from {@link fromWire}. */
export type WireUpdate = Update;

export type Request =
  | { readonly op: 'dispatch'; readonly update: WireUpdate }
  | { readonly op: 'history'; readonly query: HistoryQuery }
  | { readonly op: 'last' };

export interface WireStats {
  readonly history?: TransportHistoryStats | undefined;
  readonly counters?: Readonly<Record<string, number>> | undefined;
  readonly latency?: TransportLatency | undefined;
}

export type ToPrimary =
  | { readonly ssehub: typeof TAG; readonly kind: 'hello' }
  | {
      readonly ssehub: typeof TAG;
      readonly kind: 'req';
      readonly n: number;
      readonly req: Request;
    };

export type ToWorker =
  | {
      readonly ssehub: typeof TAG;
      readonly kind: 'welcome';
      readonly position: Position;
      readonly stats: WireStats;
    }
  | {
      readonly ssehub: typeof TAG;
      readonly kind: 'res';
      readonly n: number;
      readonly ok: boolean;
      readonly value?: unknown;
      readonly error?: WireError | undefined;
    }
  | {
      readonly ssehub: typeof TAG;
      readonly kind: 'live';
      readonly update: WireUpdate;
      readonly position: Position;
    }
  | { readonly ssehub: typeof TAG; readonly kind: 'stats'; readonly stats: WireStats };

export interface WireError {
  readonly code: string | undefined;
  readonly message: string;
  readonly field?: string | undefined;
}

/** True for a message of this protocol (anything else on the channel is not ours). */
export function isOurs(message: unknown): message is { ssehub: typeof TAG; kind: string } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { ssehub?: unknown }).ssehub === TAG
  );
}

/** The update as the transport stores it: every field present, `undefined` included. */
export function fromWire(wire: WireUpdate): Update {
  return {
    id: wire.id,
    topics: wire.topics,
    data: wire.data,
    type: wire.type ?? undefined,
    retry: wire.retry ?? undefined,
    private: wire.private,
  };
}

/** A page as it came back: its updates (and `afterUpdate`) with every field present. */
export function pageFromWire(page: HistoryPage): HistoryPage {
  return {
    found: page.found,
    updates: page.updates.map(fromWire),
    next: page.next ?? undefined,
    ...(page.afterPosition === undefined ? {} : { afterPosition: page.afterPosition }),
    ...(page.afterUpdate === undefined ? {} : { afterUpdate: fromWire(page.afterUpdate) }),
  };
}

export function errorToWire(error: unknown): WireError {
  if (isSseError(error)) {
    return { code: error.code, message: error.message, field: error.field };
  }
  return { code: undefined, message: error instanceof Error ? error.message : String(error) };
}

/**
 * The primary's error, rebuilt in the worker: an `SseError` keeps its code
 * (so `SSE_ERR_TRANSPORT_UNAVAILABLE` still answers 503); anything else
 * becomes `SSE_ERR_TRANSPORT_UNAVAILABLE` (the primary could not do it).
 */
export function errorFromWire(error: WireError | undefined): SseError {
  if (error?.code !== undefined) {
    return new SseError(
      error.code,
      error.message,
      error.field === undefined ? {} : { field: error.field },
    );
  }
  return new SseError(
    'SSE_ERR_TRANSPORT_UNAVAILABLE',
    `the primary's transport failed: ${error?.message ?? 'unknown error'}`,
  );
}
