/** `GET /metrics`: the Prometheus text format of the hub's counters and the process's. */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { sendBody, sendError } from '../../mercure/node-reply.js';
import type { Route } from './route.js';

export function metricsRoute(registry: Registry, logger: Logger | undefined): Route {
  return (_req, res, head) => {
    registry.metrics().then(
      (text) => {
        sendBody(res, 200, registry.contentType, text, { 'cache-control': 'no-store' }, head);
      },
      (error: unknown) => {
        logger?.error({ err: error }, 'metrics collection failed');
        sendError(res, 500, 'metrics collection failed');
      },
    );
  };
}
