/**
 * The primary transport: `ssehub serve --workers N` on one machine without
 * Redis. The cluster's primary process holds the one real transport (the
 * memory transport, or the file transport's store: one store, one process)
 * and every worker uses a transport that reaches it over the cluster's IPC
 * channel. Ids, order, positions and history are the primary's, so every
 * worker delivers the same updates in the same order, and any worker can
 * resume any subscriber (`Last-Event-ID`: pages of the primary's history).
 *
 * - `servePrimary(transport)` in the primary; `attach(workerChannel(w))`
 *   for each worker forked.
 * - `connectWorkerTransport(primaryChannel())` in each worker: the hub's
 *   transport there.
 * - A publish is acknowledged once the primary's transport stored it (with
 *   the file transport: synced to disk). Updates travel once per worker,
 *   whatever the number of subscribers; each worker encodes each update
 *   once for its own subscribers.
 * - The primary dies: the workers' channels close and node:cluster ends
 *   them (exit 0); the memory transport's history goes with the primary, the
 *   file transport's stays on disk. A worker dies: its subscribers reconnect
 *   to the others (`Last-Event-ID`), the primary forks another.
 * - Limit: a worker that stops reading its channel (its event loop stalled)
 *   makes node queue the primary's messages to it in memory; nothing here
 *   bounds that queue yet.
 */
export { channelPair, primaryChannel, workerChannel, type Channel } from './primary/channel.js';
export { connectWorkerTransport, type WorkerTransportOptions } from './primary/client.js';
export { servePrimary, STATS_EVERY_MS, type PrimaryServer } from './primary/server.js';
