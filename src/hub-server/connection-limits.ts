/**
 * Connection limits of the hub server: most open connections in all
 * (`maxConnections`) and from one client address (`maxConnectionsPerAddress`).
 *
 * Refusal: a connection over a limit is closed as soon as it is accepted,
 * before a byte of it is read. Not a `503`: answering before reading the
 * request, then closing with its bytes unread, makes the kernel send a reset
 * that can destroy the answer before the client reads it; and a refused
 * `EventSource` does exactly what it does on a 503-less network error: it
 * retries after its reconnection time. (A `503` with `Retry-After` is what
 * `--max-subscribers` answers, once a request has been read.)
 *
 * The first refusal after a connection was last admitted is logged (warn),
 * not every one; every refusal is counted (`/metrics`).
 *
 * The address is the peer's as the socket sees it: behind a reverse proxy
 * every client has the proxy's, so a per-address limit must then stay off
 * here (0) and be set at the proxy.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';

/** Counters of the connection limits, read by `/metrics`. */
export interface ConnectionStats {
  /** Connections open now (admitted, not yet closed). */
  readonly open: number;
  /** Connections closed at once by `maxConnections`. */
  readonly refusedTotal: number;
  /** Connections closed at once by `maxConnectionsPerAddress`. */
  readonly refusedPerAddress: number;
}

/** What {@link createConnectionLimits} returns. */
export interface ConnectionLimits {
  /**
   * Counts a new connection and says whether it may stay; when not, the
   * socket is destroyed already.
   */
  readonly admit: (socket: Socket) => boolean;
  /** Puts a server's new connections through {@link admit} (before its own listener). */
  watch(server: Server): void;
  readonly stats: ConnectionStats;
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Creates the limits; 0 turns one off. */
export function createConnectionLimits(
  maxConnections: number,
  maxPerAddress: number,
  logger: Logger | undefined,
): ConnectionLimits {
  let open = 0;
  let refusedTotal = 0;
  let refusedPerAddress = 0;
  let refusing = false;
  const perAddress = new Map<string, number>();

  function release(this: Socket): void {
    open -= 1;
    if (maxPerAddress === 0) return;
    const address = clientAddress(this);
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left <= 0) perAddress.delete(address);
    else perAddress.set(address, left);
  }

  function refuse(socket: Socket, limit: string, context: Record<string, unknown>): false {
    socket.destroy();
    if (!refusing) {
      refusing = true;
      logger?.warn(
        { ...context, open },
        `connection refused: ${limit} reached (new connections are closed until some close; this is logged once until one is admitted again)`,
      );
    }
    return false;
  }

  function admit(socket: Socket): boolean {
    if (maxConnections > 0 && open >= maxConnections) {
      refusedTotal += 1;
      return refuse(socket, `--max-connections ${maxConnections}`, {});
    }
    if (maxPerAddress > 0) {
      const address = clientAddress(socket);
      const count = perAddress.get(address) ?? 0;
      if (count >= maxPerAddress) {
        refusedPerAddress += 1;
        return refuse(socket, `--max-connections-per-address ${maxPerAddress}`, { address });
      }
      perAddress.set(address, count + 1);
    }
    open += 1;
    refusing = false;
    // `on`, not `once`: a socket closes once, and `once` would allocate a
    // wrapper per connection (about 200 bytes each, kept while it is open).
    socket.on('close', release);
    return true;
  }

  return {
    admit,
    watch(server) {
      server.prependListener('connection', admit);
    },
    stats: {
      get open() {
        return open;
      },
      get refusedTotal() {
        return refusedTotal;
      },
      get refusedPerAddress() {
        return refusedPerAddress;
      },
    },
  };
}
