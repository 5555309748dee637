/**
 * `/metrics` on an address of its own (`metricsListen`), so that the public
 * address does not serve it: `GET`/`HEAD /metrics`, 404 for anything else.
 * Started by the hub server's `listen()`, closed by its `close()`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError } from '../mercure/node-reply.js';
import { splitTarget } from '../response/request-target.js';
import type { Route } from './routes/route.js';

/** What {@link createMetricsServer} returns. */
export interface MetricsServer {
  listen(): Promise<void>;
  address(): AddressInfo | undefined;
  close(): Promise<void>;
}

/** A server for `route` on `where`; `undefined` without an address (then `/metrics` is public). */
export function createMetricsServer(
  route: Route,
  where: { port: number; host?: string | undefined } | undefined,
): MetricsServer | undefined {
  if (where === undefined) return undefined;
  const server = createServer((req, res) => {
    const { path } = splitTarget(req.url);
    if (path !== '/metrics') sendError(res, 404, `not found: ${path}`);
    else if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, `method ${String(req.method)} not allowed on /metrics`, {
        allow: 'GET, HEAD',
      });
    } else route(req, res, req.method === 'HEAD');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(where.port, where.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    address() {
      return (server.address() as AddressInfo | null) ?? undefined;
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
