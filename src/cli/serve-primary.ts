/**
 * `ssehub serve --workers N` without Redis: the primary holds the one
 * transport (the memory transport, or the file transport's store) and
 * serves it to each worker over the cluster's channel; each worker's hub
 * uses a transport that reaches it (`transports/primary.ts`).
 */
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { createMemoryTransport } from '../hub/memory-transport.js';
import type { Transport } from '../hub/index.js';
import type { HubServerOptions } from '../hub-server/index.js';
import {
  connectWorkerTransport,
  primaryChannel,
  servePrimary,
  workerChannel,
} from '../transports/primary.js';
import { connectFile, type TransportChoice } from './serve-transport.js';

/** The primary's transport, served to its workers. */
export interface PrimaryHeld {
  readonly transport: Transport;
  /** Serves one forked worker (for `runPrimary`'s `onFork`). */
  readonly attach: (worker: Worker) => void;
  /** Stops serving, then closes the transport (once the workers are gone). */
  close(): Promise<void>;
}

/**
 * Opens the transport the primary holds: `undefined` for Redis (the workers
 * share Redis itself). Rejects with `SSE_ERR_TRANSPORT_UNAVAILABLE` when the
 * file store cannot be opened.
 */
export async function holdTransport(
  choice: TransportChoice,
  options: HubServerOptions,
  logger: Logger,
): Promise<PrimaryHeld | undefined> {
  if (choice.kind === 'redis') return undefined;
  const transport =
    choice.kind === 'file'
      ? await connectFile(choice, options, logger)
      : createMemoryTransport({
          historySize: options.historySize,
          historyBytes: options.historyBytes,
        });
  const server = servePrimary(transport);
  return {
    transport,
    attach: (worker) => {
      server.attach(workerChannel(worker));
    },
    async close() {
      server.close();
      await transport.close();
    },
  };
}

/** A worker's transport: the primary's, over the cluster's channel. */
export function connectToPrimary(): Promise<Transport> {
  return connectWorkerTransport(primaryChannel());
}
