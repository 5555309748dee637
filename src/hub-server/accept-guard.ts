/**
 * What the hub server does when the process runs out of file descriptors.
 *
 * First, it should not get there: the default connection limit
 * (`maxConnections: 'auto'`, see {@link connectionLimitFromFds}) stays below
 * the process's open-file limit, keeping descriptors for the hub's own needs
 * (Redis reconnects, the file store, the page's files, TLS), and closes the
 * connections over it at accept.
 *
 * If it gets there anyway (a lower limit, descriptors used elsewhere in the
 * process): libuv keeps one descriptor in reserve and, on `EMFILE`, accepts
 * and closes the waiting connections with it; established connections are
 * never touched. When that reserve is gone too, libuv reports `EMFILE` (or
 * `ENFILE`) to the server as an `error` event, and keeps trying to accept in
 * a loop that starves the event loop. Unhandled, that `error` event ends the
 * process, every subscriber with it. Here it pauses accepting instead: the
 * listening socket is closed (new connections are refused by the kernel),
 * the established ones carry on, and the server listens again on the same
 * address after a backoff (100 ms, doubling up to 2 s) until it succeeds. One
 * warning per episode, one info line when accepting again.
 *
 * @see https://github.com/libuv/libuv/blob/v1.x/src/unix/stream.c (uv__emfile_trick)
 */
import { readFileSync } from 'node:fs';
import { Server, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';

const FIRST_BACKOFF = 100;
const LAST_BACKOFF = 2000;

/** What {@link guardAccept} returns. */
export interface AcceptGuard {
  /** Times accepting was paused since start. */
  readonly pauses: number;
  /** Stops retrying (shutdown). */
  stop(): void;
}

/**
 * Makes `EMFILE`/`ENFILE` on accept pause the listener instead of ending the
 * process. Call once the server listens.
 */
export function guardAccept(server: Server, logger: Logger | undefined): AcceptGuard {
  let address: AddressInfo | undefined;
  let timer: NodeJS.Timeout | undefined;
  let backoff = FIRST_BACKOFF;
  let pauses = 0;
  let paused = false;
  let stopped = false;

  server.on('listening', () => {
    if (!paused) return;
    paused = false;
    backoff = FIRST_BACKOFF;
    logger?.info({ port: address?.port }, 'accepting connections again');
  });

  function retryLater(): void {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped || address === undefined) return;
      // Fails with an `error` event (EMFILE again, the port taken): retried.
      server.listen({ port: address.port, host: address.address });
    }, backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, LAST_BACKOFF);
  }

  server.on('error', (error: NodeJS.ErrnoException) => {
    const outOfFds = error.code === 'EMFILE' || error.code === 'ENFILE';
    if (outOfFds && server.listening) {
      address = server.address() as AddressInfo;
      paused = true;
      pauses += 1;
      logger?.warn(
        { code: error.code, syscall: error.syscall },
        'out of file descriptors: accepting paused (established connections carry on); retrying',
      );
      // net's close, not http's (which would also end idle keep-alive
      // connections): only the listening socket closes.
      Server.prototype.close.call(server);
    }
    if (paused) retryLater();
    else logger?.error({ err: error }, 'server error');
  });

  return {
    get pauses() {
      return pauses;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * The default connection limit: below the process's open-file soft limit
 * (Linux: `/proc/self/limits`), keeping `max(64, limit / 8)` descriptors
 * (at least half the limit) for everything else. `0` (no limit) where the
 * limit cannot be read or is unlimited.
 */
export function connectionLimitFromFds(
  limits: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number {
  let text: string;
  try {
    text = limits();
  } catch {
    return 0;
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  if (soft === undefined) return 0;
  const limit = Number(soft);
  return Math.max(Math.floor(limit / 2), limit - Math.max(64, Math.floor(limit / 8)));
}
