/**
 * The standalone hub server: a hub, the Mercure endpoint, `/healthz`,
 * Prometheus `/metrics`, and the dashboard at `/`, on one node:http server
 * (or, with `tls`, one node:http2 secure server with HTTP/1.1 fallback).
 *
 * Routes:
 * - `/.well-known/mercure` (`path` option): Mercure subscribe / publish;
 * - `GET /healthz`: 200 JSON `{ status, uptime, subscribers, transport,
 *   transportReachable }`, status `"ok"`, or `"degraded"` while the
 *   transport (Redis) is unreachable (503 with status `"closing"` during
 *   shutdown);
 * - `GET /metrics`: Prometheus text format (`metrics: false` removes it);
 * - `GET /` and the files it loads (`WEB_UI_PATHS` in `web-ui.ts`): the
 *   dashboard (`webUi: false` removes it);
 * - `GET /dev-tokens.json`: only with `devTokens` (development mode).
 *
 * Connections arrive through a front door (`subscriber-front.ts`, on by
 * default): plain subscribe requests are served on the bare socket, which
 * keeps a subscriber's memory to about a quarter of what node's HTTP objects
 * cost; everything else goes to the node:http server.
 *
 * Shutdown (`close()`): stop accepting connections, end every stream cleanly
 * (`hub.close()`, which writes what is pending first), close idle keep-alive
 * connections, then wait for the server to close (connections still open
 * after `shutdownTimeout` are destroyed).
 */
import { createServer, type Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHub, type Hub, type HubOptions, type Transport } from '../hub/index.js';
import type { NodeSseRequest, NodeSseResponse } from '../server/index.js';
import { refuseConnection, sendBody, sendError } from './http-error.js';
import { createMercureHandler, parseTarget, redactTarget } from './mercure-handler.js';
import { createSubscriberFront } from './subscriber-front.js';
import { createHubMetrics } from './metrics.js';
import {
  DEFAULT_HUB_PATH,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_MAX_TOPICS,
  type MercureHandlerOptions,
} from './options.js';
import { createSecureHubServer, type TlsOptions } from './secure-server.js';
import { createWebUi } from './web-ui.js';

/** Tokens shown to the page in development mode. */
export interface DevTokens {
  /** A publisher JWT (the page's publish form uses it). */
  publisherToken: string;
  /** A subscriber JWT (the page subscribes with it, so private updates show). */
  subscriberToken?: string | undefined;
}

/** Options of {@link createHubServer}: the Mercure endpoint's, plus the server's. */
export interface HubServerOptions extends MercureHandlerOptions {
  /**
   * The hub to serve. When omitted, one is created with the limits below
   * (and closed by `close()` either way).
   *
   * @default createHub({ historySize, maxSubscribers, maxDataBytes, maxTopics… })
   */
  hub?: Hub | undefined;
  /**
   * Where updates travel and history lives, for the created hub (e.g.
   * `await createRedisTransport({ url })` from `ssehub/transports/redis`).
   * Closed by `close()` with the hub.
   *
   * @default the memory transport (one process)
   */
  transport?: Transport | undefined;
  /** History length of the created hub's memory transport. @default 1000 */
  historySize?: number | undefined;
  /** Most subscribers of the created hub (then 503). @default 100000 */
  maxSubscribers?: number | undefined;
  /** Name reported by `/healthz`. @default 'memory' (or 'custom' with a `transport`) */
  transportName?: string | undefined;
  /** Serve the page at `/`. @default true */
  webUi?: boolean | undefined;
  /** Serve Prometheus metrics at `/metrics`. @default true */
  metrics?: boolean | undefined;
  /**
   * Development mode only: tokens served at `/dev-tokens.json` for the page.
   * Anyone who can reach the server can read them.
   *
   * @default undefined (not served)
   */
  devTokens?: DevTokens | undefined;
  /**
   * Serve HTTPS: HTTP/2 with HTTP/1.1 fallback (ALPN) on one port; the
   * lean-subscriber front door is off then (see `secure-server.ts`).
   *
   * @default undefined (plain HTTP/1.1)
   */
  tls?: TlsOptions | undefined;
  /** Milliseconds `close()` waits for connections before destroying them. @default 5000 */
  shutdownTimeout?: number | undefined;
  /**
   * Serve plain HTTP/1.x subscribe requests on the bare socket instead of
   * through node's `ServerResponse` (see `subscriber-front.ts`): same bytes on
   * the wire, a quarter of the memory per subscriber. `false` sends every
   * request through node:http.
   *
   * @default true
   */
  leanSubscribers?: boolean | undefined;
}

/** A running (or ready to run) hub server. */
export interface HubServer {
  /**
   * The node:http server, or the node:http2 secure server with `tls`. With
   * `leanSubscribers` (the default, plain HTTP only) it never listens
   * itself: {@link listener} does, and hands it every request the front door
   * does not serve.
   */
  readonly server: Server | Http2SecureServer;
  /** What {@link listen} binds: the front door, or `server` without `leanSubscribers`. */
  readonly listener: NetServer;
  readonly hub: Hub;
  /**
   * The whole router as a request listener: for `http2.createSecureServer`
   * (compatibility API) or another node server.
   */
  readonly handler: (req: NodeSseRequest, res: NodeSseResponse) => void;
  /** The metrics registry, when metrics are on. */
  readonly registry: Registry | undefined;
  /** Starts listening; resolves to the address (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Graceful shutdown (see the file comment). Idempotent. */
  close(): Promise<void>;
}

function hubOptionsFrom(options: HubServerOptions): HubOptions {
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  return {
    historySize: options.historySize,
    maxSubscribers: options.maxSubscribers,
    maxDataBytes: options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
    maxTopicsPerUpdate: maxTopics,
    maxTopicsPerSubscription: maxTopics,
    heartbeatInterval: options.heartbeatInterval,
    maxBufferedBytes: options.maxBufferedBytes,
    transport: options.transport,
  };
}

/**
 * Creates the standalone hub server.
 *
 * @example
 * const { listen, close } = createHubServer({ jwtKey: process.env.JWT_KEY, anonymous: true });
 * await listen(3000, '0.0.0.0');
 * process.once('SIGTERM', () => void close());
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function createHubServer(options: HubServerOptions = {}): HubServer {
  const hub = options.hub ?? createHub(hubOptionsFrom(options));
  const logger: Logger | undefined = options.logger;
  const metrics = (options.metrics ?? true) ? createHubMetrics(() => hub.stats) : undefined;
  const mercure = createMercureHandler(hub, {
    ...options,
    maxBufferedBytes: options.maxBufferedBytes ?? hub.options.maxBufferedBytes,
    onError: (status, message) => {
      metrics?.refused(status);
      options.onError?.(status, message);
    },
  });
  const hubPath = options.path ?? DEFAULT_HUB_PATH;
  const webUi = (options.webUi ?? true) ? createWebUi() : undefined;
  const devTokens = options.devTokens;
  const transportName =
    options.transportName ??
    (options.transport === undefined && options.hub === undefined ? 'memory' : 'custom');
  const startedAt = Date.now();
  const shutdownTimeout = options.shutdownTimeout ?? 5000;
  let closing: Promise<void> | undefined;

  const handler = (req: NodeSseRequest, res: NodeSseResponse): void => {
    const { path } = parseTarget(req.url);
    if (closing !== undefined && path === hubPath && (req.method ?? 'GET') === 'GET') {
      // A subscriber reconnecting while this process shuts down must not get
      // an HTTP error: EventSource gives up for good on any status but 200
      // (WHATWG HTML, "fail the connection"). A network error makes it retry,
      // with Last-Event-ID, against whichever process answers next.
      refuseConnection(req);
      return;
    }
    if (path === hubPath) {
      mercure(req, res);
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendError(
        res,
        path === '/' || path === '/healthz' || path === '/metrics' ? 405 : 404,
        `method ${method} not allowed on ${path}`,
        { allow: 'GET, HEAD' },
      );
      return;
    }
    const head = method === 'HEAD';
    if (path === '/healthz') {
      // Transport down: still 200 (live streams stay open and keep their
      // heartbeats; restarting this process would not bring Redis back),
      // but `degraded`, and publishing answers 503 meanwhile.
      const transportReachable = hub.transport.reachable?.() ?? true;
      const body = JSON.stringify({
        status: closing !== undefined ? 'closing' : transportReachable ? 'ok' : 'degraded',
        uptime: Math.round((Date.now() - startedAt) / 1000),
        subscribers: hub.subscriberCount,
        transport: transportName,
        transportReachable,
      });
      sendBody(
        res,
        closing === undefined ? 200 : 503,
        'application/json; charset=utf-8',
        body,
        {
          'cache-control': 'no-store',
        },
        head,
      );
      return;
    }
    if (path === '/metrics' && metrics !== undefined) {
      const registry = metrics.registry;
      registry.metrics().then(
        (text) => {
          sendBody(res, 200, registry.contentType, text, { 'cache-control': 'no-store' }, head);
        },
        (error: unknown) => {
          logger?.error({ err: error }, 'metrics collection failed');
          sendError(res, 500, 'metrics collection failed');
        },
      );
      return;
    }
    if (path === '/dev-tokens.json' && devTokens !== undefined) {
      sendBody(
        res,
        200,
        'application/json; charset=utf-8',
        JSON.stringify(devTokens),
        {
          'cache-control': 'no-store',
        },
        head,
      );
      return;
    }
    if (webUi?.(path, res, head) === true) return;
    sendError(res, 404, `not found: ${path}`);
  };

  const onRequest = (req: NodeSseRequest, res: NodeSseResponse): void => {
    try {
      handler(req, res);
    } catch (error) {
      logger?.error({ err: error, url: redactTarget(req.url) }, 'request failed');
      sendError(res, 500, 'internal server error');
    }
  };
  const secure =
    options.tls === undefined ? undefined : createSecureHubServer(options.tls, onRequest);
  const plain = secure === undefined ? createServer({ requestTimeout: 0 }, onRequest) : undefined;
  const server: Server | Http2SecureServer = secure?.server ?? (plain as Server);
  if (plain !== undefined) {
    // An SSE response lives as long as the client wants it; heartbeats keep it busy.
    plain.headersTimeout = 30_000;
    plain.keepAliveTimeout = 5_000;
  }

  // The front door reads plain HTTP/1.x; over TLS every request goes to the
  // secure server (HTTP/2 multiplexes streams anyway).
  const front =
    plain !== undefined && (options.leanSubscribers ?? true)
      ? createSubscriberFront({
          hubPath,
          httpServer: plain,
          subscribe: (head, socket) => mercure.subscribeRaw(head, socket),
          headersTimeout: plain.headersTimeout,
        })
      : undefined;

  function closed(listener: NetServer): Promise<void> {
    return listener.listening
      ? new Promise<void>((resolve) => {
          listener.close(() => {
            resolve();
          });
        })
      : Promise.resolve();
  }

  async function shutdown(): Promise<void> {
    logger?.info({ subscribers: hub.subscriberCount }, 'shutting down');
    const serverClosed = Promise.all([closed(server), front ? closed(front.server) : undefined]);
    await hub.close();
    plain?.closeIdleConnections();
    front?.closeIdle();
    secure?.closeIdle();
    const timer = setTimeout(() => {
      logger?.warn('connections still open at shutdown: destroying them');
      plain?.closeAllConnections();
      secure?.destroyAll();
      front?.destroySockets();
    }, shutdownTimeout);
    timer.unref();
    await serverClosed;
    clearTimeout(timer);
    logger?.info('shut down');
  }

  return {
    server,
    listener: front?.server ?? server,
    hub,
    handler,
    registry: metrics?.registry,
    async listen(port = 3000, host?: string) {
      const listener = front?.server ?? server;
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(port, host, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      return listener.address() as AddressInfo;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
