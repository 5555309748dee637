/**
 * The standalone hub server: a hub, the Mercure endpoint, `/healthz`,
 * Prometheus `/metrics`, and the dashboard at `/`, on one node:http server
 * (or, with `tls`, one node:http2 secure server with HTTP/1.1 fallback).
 *
 * Routes (`router.ts`, one file per route under `routes/`):
 * - `/.well-known/mercure` (`path` option): Mercure subscribe / publish
 *   (`src/mercure/handler.ts`);
 * - `GET /healthz` (`routes/healthz.ts`), `GET /metrics` (`routes/metrics.ts`,
 *   `metrics: false` removes it), `GET /` and the files it loads
 *   (`routes/web-ui.ts`, `webUi: false` removes it), `GET /dev-tokens.json`
 *   (only with `devTokens`, development mode), `GET /stream?channel=…`
 *   (only with `flaskSse`: flask-sse's stream endpoint,
 *   `routes/flask-sse-stream.ts`).
 *
 * Connections arrive through a front door (`front-door.ts`, on by default):
 * plain subscribe requests are served on the bare socket, which keeps a
 * subscriber's memory to about a quarter of what node's HTTP objects cost;
 * everything else goes to the node:http server. Both paths answer through
 * the same subscribe core, so they answer alike.
 *
 * Shutdown (`close()`): stop accepting connections, end every stream cleanly
 * (`hub.close()`, which writes what is pending first), close idle keep-alive
 * connections, then wait for the server to close (connections still open
 * after `shutdownTimeout` are destroyed).
 *
 * Size: the server's options (the public API's reference) and its one
 * assembly function; routes, limits and deadlines live in their own files.
 */
import { createServer, type Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHub, type Hub, type Transport } from '../hub/index.js';
import { createMercureHandler } from '../mercure/handler.js';
import { DEFAULT_HUB_PATH, type MercureHandlerOptions } from '../mercure/options.js';
import { SseError } from '../protocol/sse-error.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/index.js';
import { createSubscriberFront } from './front-door.js';
import { hubOptionsFrom } from './hub-options.js';
import { createMetricsServer } from './metrics-server.js';
import { createNetworkGuards, type NetworkOptions } from './network.js';
import { createHubMetrics } from './metrics.js';
import { createRouter } from './router.js';
import { devTokensRoute, type DevTokens } from './routes/dev-tokens.js';
import { flaskSseStreamRoute, type FlaskSseRouteOptions } from './routes/flask-sse-stream.js';
import { healthzRoute } from './routes/healthz.js';
import { metricsRoute } from './routes/metrics.js';
import { protectedResourcePath, protectedResourceRoute } from './routes/protected-resource.js';
import type { Route } from './routes/route.js';
import { createWebUi } from './routes/web-ui.js';
import { createSecureHubServer, type TlsOptions } from './secure-server.js';

export type { DevTokens } from './routes/dev-tokens.js';

export type { FlaskSseRouteOptions } from './routes/flask-sse-stream.js';

/** Options of {@link createHubServer}: the Mercure endpoint's, plus the server's. */
export interface HubServerOptions extends MercureHandlerOptions, NetworkOptions {
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
  /** History size in bytes of the created hub's memory transport. @default 16777216 (16 MiB) */
  historyBytes?: number | undefined;
  /** Most subscribers of the created hub (then 503). @default 100000 */
  maxSubscribers?: number | undefined;
  /** Name reported by `/healthz`. @default 'memory' (or 'custom' with a `transport`) */
  transportName?: string | undefined;
  /** Serve the page at `/`. @default true */
  webUi?: boolean | undefined;
  /** Serve Prometheus metrics at `/metrics`. @default true */
  metrics?: boolean | undefined;
  /**
   * `/metrics` answers only requests with `Authorization: Bearer <token>`
   * (others: 401). The metrics tell anyone who reads them how busy the hub
   * is and how it is configured.
   *
   * @default undefined (anyone who can reach /metrics)
   */
  metricsToken?: string | undefined;
  /**
   * Serve `/metrics` on its own address (e.g. `{ port: 9090, host:
   * '127.0.0.1' }`), started by `listen()`, and not on the public one.
   *
   * @default undefined (on the public address)
   */
  metricsListen?: { port: number; host?: string | undefined } | undefined;
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
   * through node's `ServerResponse` (see `front-door.ts`): same bytes on
   * the wire, a quarter of the memory per subscriber. `false` sends every
   * request through node:http.
   *
   * @default true
   */
  leanSubscribers?: boolean | undefined;
  /**
   * Serve flask-sse's stream endpoint (`GET /stream?channel=…`) for the
   * updates a flask-sse bridge publishes on this hub
   * (`createFlaskSseBridge` from `ssehub/bridges/flask-sse`).
   *
   * @default undefined (not served)
   */
  flaskSse?: FlaskSseRouteOptions | undefined;
  /**
   * Active subscriptions ([spec] Active Subscriptions) on the created hub:
   * every subscription created or terminated is announced as a private
   * update of type `mercure`, the subscription API answers at
   * `{path}/subscriptions`, and the protected resource metadata says
   * `mercure_subscriptions: true`. On Redis every process lists every
   * process's subscriptions. A given `hub` brings its own setting
   * (`createHub({ subscriptions: { hubPath } })`).
   *
   * @default false
   */
  subscriptions?: boolean | undefined;
  /**
   * With `subscriptions`, on Redis: how often each process renews its lease,
   * in ms; a process that dies has its subscriptions announced inactive by a
   * survivor within 3 × this.
   *
   * @default 1000
   */
  subscriptionsLeaseInterval?: number | undefined;
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
  /** With `metricsListen`, once listening: the address `/metrics` is served on. */
  metricsAddress(): AddressInfo | undefined;
  /** Starts listening; resolves to the address (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Graceful shutdown (see the file comment). Idempotent. */
  close(): Promise<void>;
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
  if (options.hub !== undefined && options.subscriptions === true) {
    if (options.hub.activeSubscriptions === undefined) {
      throw new SseError(
        'SSE_ERR_INVALID_OPTION',
        '"subscriptions" applies to the hub createHubServer() creates: create the given hub with createHub({ subscriptions: { hubPath } })',
        { field: 'subscriptions' },
      );
    }
  }
  const hub = options.hub ?? createHub(hubOptionsFrom(options));
  const logger: Logger | undefined = options.logger;
  const transport = hub.transport;
  const guards = createNetworkGuards(options, logger);
  const { deadline, limits, headersTimeout } = guards;
  const metrics =
    (options.metrics ?? true)
      ? createHubMetrics(() => hub.stats, {
          appendLatency: transport.appendLatency?.bind(transport),
          network: guards.stats,
        })
      : undefined;
  const mercureOnError = (status: number, message: string): void => {
    metrics?.refused(status);
    options.onError?.(status, message);
  };
  const mercure = createMercureHandler(hub, {
    ...options,
    maxBufferedBytes: options.maxBufferedBytes ?? hub.options.maxBufferedBytes,
    onError: mercureOnError,
  });
  const hubPath = options.path ?? DEFAULT_HUB_PATH;
  const transportName =
    options.transportName ??
    (options.transport === undefined && options.hub === undefined ? 'memory' : 'custom');
  const shutdownTimeout = options.shutdownTimeout ?? 5000;
  let closing: Promise<void> | undefined;
  const isClosing = (): boolean => closing !== undefined;

  const routes = new Map<string, Route>();
  routes.set(
    '/healthz',
    healthzRoute({ hub, transportName, startedAt: Date.now(), closing: isClosing }),
  );
  const metricsServer =
    metrics === undefined
      ? undefined
      : createMetricsServer(
          metricsRoute(metrics.registry, logger, options.metricsToken),
          options.metricsListen,
        );
  if (metrics !== undefined && metricsServer === undefined) {
    routes.set('/metrics', metricsRoute(metrics.registry, logger, options.metricsToken));
  }
  if (options.devTokens !== undefined) {
    routes.set('/dev-tokens.json', devTokensRoute(options.devTokens));
  }
  if (mercure.settings.protocol !== '0.x') {
    routes.set(
      protectedResourcePath(hubPath),
      protectedResourceRoute(
        mercure.settings,
        hubPath,
        () => hub.activeSubscriptions !== undefined,
      ),
    );
  }
  const preflights = new Map<string, Route>();
  if (options.flaskSse !== undefined) {
    const flask = flaskSseStreamRoute(
      hub,
      { ...options, flaskSse: options.flaskSse, onError: mercureOnError },
      isClosing,
    );
    if (flask.path === hubPath || routes.has(flask.path)) {
      throw new SseError(
        'SSE_ERR_INVALID_OPTION',
        `"flaskSse.path" ${flask.path} is taken by another route`,
        { field: 'flaskSse.path' },
      );
    }
    routes.set(flask.path, flask.route);
    preflights.set(flask.path, flask.preflight);
  }
  const handler = createRouter({
    hubPath,
    mercure,
    routes,
    preflights,
    streamPaths: new Set(options.flaskSse === undefined ? [] : preflights.keys()),
    webUi: (options.webUi ?? true) ? createWebUi() : undefined,
    logger,
    subscriptionApi: hub.activeSubscriptions !== undefined,
    closing: isClosing,
  });

  const secure =
    options.tls === undefined
      ? undefined
      : createSecureHubServer(options.tls, handler, deadline, headersTimeout);
  // requestTimeout 0: a publish body has its own (`requestTimeout` of the
  // Mercure endpoint), and node's would only run on a listening server.
  const plain = secure === undefined ? createServer({ requestTimeout: 0 }, handler) : undefined;
  const server: Server | Http2SecureServer = secure?.server ?? (plain as Server);
  if (plain !== undefined) {
    plain.headersTimeout = headersTimeout;
    plain.keepAliveTimeout = 5_000;
    plain.on('request', deadline.onRequest);
  }

  // The front door reads plain HTTP/1.x; over TLS every request goes to the
  // secure server (HTTP/2 multiplexes streams anyway).
  const front =
    plain !== undefined && (options.leanSubscribers ?? true)
      ? createSubscriberFront({
          hubPath,
          httpServer: plain,
          subscribe: (head, socket) => mercure.subscribeRaw(head, socket),
          closing: isClosing,
          deadline,
          admit: limits.admit,
        })
      : undefined;
  // node:http (or TLS) listening itself: limits first, the deadline from the accept.
  if (front === undefined) limits.watch(secure?.server ?? (plain as Server));
  if (plain !== undefined && front === undefined) plain.on('connection', deadline.arm);

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
    const serverClosed = Promise.all([
      closed(server),
      front ? closed(front.server) : undefined,
      metricsServer?.close(),
    ]);
    await hub.close();
    guards.stop();
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
    metricsAddress: () => metricsServer?.address(),
    async listen(port = 3000, host?: string) {
      const listener = front?.server ?? server;
      await metricsServer?.listen();
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(port, host, () => {
          listener.off('error', reject);
          guards.guardAccept(listener);
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
