/**
 * The hub server's guards at the connection level, with their options: the
 * request-head deadline (`head-deadline.ts`) and the connection limits
 * (`connection-limits.ts`), checked once, shared by every listener (front
 * door, node:http, TLS), counted for `/metrics`.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import { SseError } from '../protocol/sse-error.js';
import { connectionLimitFromFds, guardAccept, type AcceptGuard } from './accept-guard.js';
import { createConnectionLimits, type ConnectionLimits } from './connection-limits.js';
import { createHeadDeadline, type HeadDeadline } from './head-deadline.js';
import type { NetworkStats } from './metrics.js';

/** Default of {@link NetworkOptions.headersTimeout}: 30 s. */
export const DEFAULT_HEADERS_TIMEOUT = 30_000;

/** The connection-level options of the hub server. */
export interface NetworkOptions {
  /**
   * Milliseconds a connection may take to send a complete request head,
   * from its accept (or from the end of its previous response, kept alive);
   * then it is answered 408 and closed, on every path (front door, node:http,
   * TLS with HTTP/1.1; an HTTP/2 session must open its first stream in that
   * time, and the TLS handshake must end in it). `0`: no deadline.
   *
   * @default 30000
   */
  headersTimeout?: number | undefined;
  /**
   * Most connections open at once; more are closed as soon as they are
   * accepted, before a byte is read (see `connection-limits.ts`). `'auto'`:
   * below the process's open-file limit, keeping descriptors for the hub's
   * own needs (`accept-guard.ts`); `0`: no limit.
   *
   * @default 'auto'
   */
  maxConnections?: number | 'auto' | undefined;
  /**
   * Most connections open at once from one client address (closed at accept
   * too). Behind a reverse proxy every client has the proxy's address: leave
   * it 0 there and limit at the proxy.
   *
   * @default 0
   */
  maxConnectionsPerAddress?: number | undefined;
}

/** What {@link createNetworkGuards} returns. */
export interface NetworkGuards {
  readonly headersTimeout: number;
  /** The connection limit in force (0: none). */
  readonly maxConnections: number;
  /** Pauses accepting on `EMFILE` instead of crashing: call once `listener` listens. */
  guardAccept(listener: Server): void;
  /** Stops the deadline's sweep and the accept guard's retries (shutdown). */
  stop(): void;
  readonly deadline: HeadDeadline;
  readonly limits: ConnectionLimits;
  readonly stats: () => NetworkStats;
}

function count(value: number | undefined, field: string, fallback: number, unit: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"${field}" must be a non-negative integer (${unit}; 0: no limit), got ${String(value)}`,
      { field },
    );
  }
  return resolved;
}

/**
 * Checks the options and creates the guards.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function createNetworkGuards(
  options: NetworkOptions,
  logger: Logger | undefined,
): NetworkGuards {
  const headersTimeout = count(
    options.headersTimeout,
    'headersTimeout',
    DEFAULT_HEADERS_TIMEOUT,
    'ms',
  );
  const maxConnections =
    options.maxConnections === 'auto' || options.maxConnections === undefined
      ? connectionLimitFromFds()
      : count(options.maxConnections, 'maxConnections', 0, 'connections');
  const maxPerAddress = count(
    options.maxConnectionsPerAddress,
    'maxConnectionsPerAddress',
    0,
    'connections',
  );
  const deadline = createHeadDeadline(headersTimeout);
  const limits = createConnectionLimits(maxConnections, maxPerAddress, logger);
  let accept: AcceptGuard | undefined;
  return {
    headersTimeout,
    maxConnections,
    guardAccept(listener) {
      accept ??= guardAccept(listener, logger);
    },
    stop() {
      deadline.stop();
      accept?.stop();
    },
    deadline,
    limits,
    stats: () => {
      const { open, refusedTotal, refusedPerAddress } = limits.stats;
      return {
        open,
        refusedTotal,
        refusedPerAddress,
        headTimeouts: deadline.expired,
        acceptPauses: accept?.pauses ?? 0,
      };
    },
  };
}
