/**
 * `GET /metrics`: the Prometheus text format of the hub's counters and the
 * process's. With a token, only requests with `Authorization: Bearer
 * <token>` get them (others: 401 with `WWW-Authenticate: Bearer`); the token
 * is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { sendBody, sendError } from '../../mercure/node-reply.js';
import type { Route } from './route.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function metricsRoute(
  registry: Registry,
  logger: Logger | undefined,
  token?: string,
): Route {
  // Digests have one length: timingSafeEqual tells nothing about the token's.
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req, res, head) => {
    if (expected !== undefined) {
      const given = req.headers.authorization;
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        sendError(res, 401, 'metrics need "Authorization: Bearer <metrics token>"', {
          'www-authenticate': 'Bearer realm="metrics"',
        });
        return;
      }
    }
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
