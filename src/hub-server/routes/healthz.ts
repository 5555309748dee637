/**
 * `GET /healthz`: 200 JSON `{ status, uptime, pid, worker, subscribers,
 * transport, transportReachable, history }`, `pid` the answering process
 * and `worker` its node:cluster worker id (absent outside a cluster: with
 * `--workers N` each worker answers for itself), `history` being `{ count, bytes }` held
 * now (plus `diskBytes`, the store's data file, with the file transport;
 * absent when the transport cannot tell, Redis); status `"ok"`, or
 * `"degraded"` while the transport
 * (Redis) is unreachable: still 200, because live streams stay open with
 * their heartbeats and restarting this process would not bring Redis back
 * (publishing answers 503 meanwhile). During shutdown: 503, `"closing"`.
 */
import cluster from 'node:cluster';
import type { Hub } from '../../hub/hub.js';
import { sendBody } from '../../mercure/node-reply.js';
import type { Route } from './route.js';

export interface HealthState {
  readonly hub: Hub;
  readonly transportName: string;
  readonly startedAt: number;
  closing(): boolean;
}

export function healthzRoute(state: HealthState): Route {
  return (_req, res, head) => {
    const { hub } = state;
    const closing = state.closing();
    const transportReachable = hub.transport.reachable?.() ?? true;
    const body = JSON.stringify({
      status: closing ? 'closing' : transportReachable ? 'ok' : 'degraded',
      uptime: Math.round((Date.now() - state.startedAt) / 1000),
      pid: process.pid,
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
      subscribers: hub.subscriberCount,
      transport: state.transportName,
      transportReachable,
      history: hub.transport.historyStats?.(),
    });
    sendBody(
      res,
      closing ? 503 : 200,
      'application/json; charset=utf-8',
      body,
      { 'cache-control': 'no-store' },
      head,
    );
  };
}
