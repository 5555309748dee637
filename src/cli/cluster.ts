/**
 * `ssehub serve --workers N`: the primary process of a node:cluster. It
 * serves nothing itself: it forks N workers running the same command line,
 * which all listen on the one port (the primary hands them connections),
 * and share updates and history through the Redis transport, or through
 * the primary itself: with the memory or the file transport the primary
 * holds the one transport and serves it to every worker over the cluster's
 * channel (`transports/primary.ts`; `onFork` attaches each worker).
 *
 * - Ready: once every worker listens, the primary logs `listening on …`
 *   (tools wait for that line) with the worker count.
 * - A worker that dies after it was ready is replaced (its subscribers
 *   reconnect, with `Last-Event-ID`, to the others meanwhile); restarts are
 *   spaced by a backoff (250 ms doubling to 10 s, reset after a minute up).
 * - A worker that dies during start-up, before all were ready (port taken,
 *   Redis unreachable, bad key), stops the whole cluster with exit code 1:
 *   another try would fail the same way. Later, a replacement that fails is
 *   retried with the backoff.
 * - SIGTERM or SIGINT: every worker shuts down gracefully (streams end
 *   cleanly), then the primary exits 0.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { shutdownSignal } from './signals.js';

/** What the primary needs. */
export interface PrimaryOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Extra environment of the workers. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Called for each worker forked, replacements included, before it runs. */
  readonly onFork?: ((worker: Worker) => void) | undefined;
  /** Called once, when every worker listens (the first time). */
  readonly onReady: (address: AddressInfo) => void;
}

const RESTART_MIN_MS = 250;
const RESTART_MAX_MS = 10_000;
/** A worker up this long resets the restart backoff. */
const STABLE_MS = 60_000;

/** Runs the primary; resolves to the exit code once every worker is gone. */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { workers: count, logger, onReady } = options;
  const ready = new Set<Worker>();
  const startedAt = new Map<Worker, number>();
  let everyoneReady = false;
  let stopping = false;
  let exitCode = 0;
  let restartDelay = RESTART_MIN_MS;

  return new Promise<number>((resolve) => {
    const fork = (): void => {
      const worker = cluster.fork(options.env);
      options.onFork?.(worker);
      startedAt.set(worker, Date.now());
      worker.on('listening', (address: Address) => {
        ready.add(worker);
        logger.debug({ worker: worker.id, pid: worker.process.pid }, 'worker listening');
        if (!everyoneReady && ready.size === count) {
          everyoneReady = true;
          onReady({
            address: address.address,
            family: address.addressType === 6 ? 'IPv6' : 'IPv4',
            port: address.port,
          });
        }
      });
    };

    const stopAll = (): void => {
      if (stopping) return;
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker !== undefined && !worker.isDead()) worker.process.kill('SIGTERM');
      }
    };

    cluster.on('exit', (worker, code, signal) => {
      ready.delete(worker);
      const upFor = Date.now() - (startedAt.get(worker) ?? Date.now());
      startedAt.delete(worker);
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      if (stopping) {
        if (alive.length === 0) resolve(exitCode);
        return;
      }
      if (!everyoneReady) {
        logger.fatal(
          { worker: worker.id, code, signal },
          'a worker exited before it was ready: stopping (see its log above)',
        );
        exitCode = 1;
        stopAll();
        if (alive.length === 0) resolve(exitCode);
        return;
      }
      if (upFor >= STABLE_MS) restartDelay = RESTART_MIN_MS;
      logger.error(
        { worker: worker.id, code, signal, restartIn: restartDelay },
        'worker died: starting another (its subscribers reconnect to the others)',
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelay).unref();
      restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
    });

    void shutdownSignal(logger, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }).then((signal) => {
      logger.info({ signal }, 'signal received: stopping the workers');
      stopAll();
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    });

    for (let i = 0; i < count; i++) fork();
  });
}
