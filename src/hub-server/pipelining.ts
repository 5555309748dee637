/**
 * HTTP/1.1 pipelining. node's server parses every request a client
 * pipelines and emits each at once, its response queued until the ones ahead
 * are done. A stream (a subscribe request, flask-sse's stream) is never done,
 * so what is queued behind one can never be answered, and a subscribe handled
 * while queued registers a subscriber whose bytes never reach the socket (200
 * pipelined subscribes made 200 subscribers). So:
 *
 * - a stream request that arrives queued is handled only when its turn comes
 *   (its response gets the socket): behind a live stream, never;
 * - at most {@link MAX_QUEUED} requests wait on one connection; one more
 *   closes it (node's own back-pressure only counts bytes already written);
 * - when the connection dies, queued responses are closed with it (node
 *   leaves them open, and anything started on them would be kept for good).
 *
 * Every other request is served as node would: answers in order, as far as
 * the requests ahead of them allow.
 */
import type { Logger } from 'pino';
import { redactTarget } from '../mercure/handler.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/adapters/node-http.js';

/** Most requests queued on one HTTP/1.1 connection before it is closed. */
export const MAX_QUEUED = 16;

/**
 * Returns the first step of every request: `handle` now, later (a stream
 * request whose turn has not come), or never (its connection closed first).
 */
export function pipelineGuard(
  isStream: (req: NodeSseRequest, path: string) => boolean,
  logger: Logger | undefined,
): (req: NodeSseRequest, res: NodeSseResponse, path: string, handle: () => void) => void {
  /** HTTP/1.x connections → requests queued on them. */
  const queued = new WeakMap<object, number>();
  return (req, res, path, handle) => {
    // HTTP/2 multiplexes; a response with a socket is not queued.
    if ('stream' in res || res.socket !== null) {
      handle();
      return;
    }
    const socket = req.socket;
    const count = (queued.get(socket) ?? 0) + 1;
    if (count > MAX_QUEUED) {
      logger?.info(
        { method: req.method, url: redactTarget(req.url) },
        `more than ${MAX_QUEUED} requests pipelined on one connection: connection closed`,
      );
      socket.destroy();
      return;
    }
    queued.set(socket, count);
    let waiting = true;
    const turn = (): void => {
      if (!waiting) return;
      waiting = false;
      queued.set(socket, (queued.get(socket) ?? 1) - 1);
    };
    socket.once('close', () => {
      if (!waiting) return;
      turn();
      res.destroy();
      res.emit('close');
    });
    res.once('socket', turn);
    if (!isStream(req, path)) {
      handle();
      return;
    }
    res.once('socket', () => {
      if (!socket.destroyed) handle();
    });
  };
}
