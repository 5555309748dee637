/**
 * Every way ssehub answers a subscribe request, each with its own hub set up
 * the same way (same options, same JWT key, same seeded history) so that the
 * same request must get the same answer from all of them:
 *
 * - embedded: `serveHub` on node:http, on Express, `serveHubFastify`, and
 *   `serveHubFetch` behind a minimal node:http → Fetch bridge (what
 *   `@hono/node-server` and similar do);
 * - standalone: `createHubServer` with its front door, without it, and over
 *   TLS (HTTP/1.1 and HTTP/2 on one server).
 *
 * Each hub runs on a {@link SwitchableTransport}: a memory transport that
 * can be made unreachable, for the "transport down" rows.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { devCertificate } from '../../src/cli/tls.js';
import { createHub, type Hub } from '../../src/hub/index.js';
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import type { HistoryQuery, Transport, TransportListener, Update } from '../../src/hub/types.js';
import { createHubServer, type HubServer } from '../../src/hub-server/index.js';
import { createJwtAuthorizer } from '../../src/mercure/jwt-authorizer.js';
import { serveHub, serveHubFastify, serveHubFetch } from '../../src/mercure/serve-hub.js';
import { SseError } from '../../src/protocol/sse-error.js';

export const HUB_PATH = '/.well-known/mercure';
export const SECRET = 'a-parity-secret-that-is-long-enough-for-hs256';
const MAX_TOPICS = 3;

/** A memory transport whose history can be made to fail (Redis away). */
export class SwitchableTransport implements Transport {
  readonly #inner = createMemoryTransport({ historySize: 100 });
  down = false;

  dispatch(update: Update): Promise<void> {
    if (this.down) return Promise.reject(this.#unavailable());
    return this.#inner.dispatch(update);
  }
  subscribe(listener: TransportListener): () => void {
    return this.#inner.subscribe(listener);
  }
  livePosition(): string {
    return this.#inner.livePosition();
  }
  history(query: HistoryQuery) {
    if (this.down) return Promise.reject(this.#unavailable());
    return this.#inner.history(query);
  }
  lastEventId(): Promise<string | undefined> {
    return this.#inner.lastEventId();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  reachable(): boolean {
    return !this.down;
  }
  #unavailable(): SseError {
    return new SseError('SSE_ERR_TRANSPORT_UNAVAILABLE', 'The transport is unreachable.');
  }
}

/** One way in: where to connect and how. */
export interface EntryPoint {
  readonly name: string;
  readonly port: number;
  /** `'h1'` plain HTTP/1.1, `'tls-h1'` HTTP/1.1 over TLS, `'h2'` HTTP/2 over TLS. */
  readonly protocol: 'h1' | 'tls-h1' | 'h2';
  readonly hub: Hub;
  readonly transport: SwitchableTransport;
}

/** The hub options every entry point shares. */
function hubOptions(transport: Transport) {
  return {
    transport,
    heartbeatInterval: false as const,
    maxTopicsPerSubscription: MAX_TOPICS,
    maxTopicsPerUpdate: MAX_TOPICS,
  };
}

/** Configured, as in production: refusals then point at the same metadata on every path. */
export const RESOURCE_IDENTIFIER = 'https://hub.test/.well-known/mercure';

const authorize = createJwtAuthorizer({
  jwtKey: SECRET,
  anonymous: true,
  resourceIdentifier: RESOURCE_IDENTIFIER,
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Answers the hub path with `handle`; anything else 404. */
function nodeServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  return createServer((req, res) => {
    if ((req.url ?? '').split('?')[0]?.endsWith(HUB_PATH) === true) handle(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
}

/**
 * A minimal node:http → Fetch bridge, as `@hono/node-server` does: a
 * `Request` from the node request, the `Response` written back; a body that
 * fails mid-way destroys the connection.
 */
function fetchBridge(hub: Hub): Server {
  return nodeServer((req, res) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    }
    const target = req.url ?? '/';
    const url = /^[a-z]+:\/\//i.test(target) ? target : `http://${req.headers.host}${target}`;
    const abort = new AbortController();
    res.on('close', () => {
      abort.abort();
    });
    void serveHubFetch(
      hub,
      new Request(url, { method: req.method, headers, signal: abort.signal }),
      {
        authorize,
      },
    ).then(async (response) => {
      const head: Record<string, string> = {};
      response.headers.forEach((value, name) => (head[name] = value));
      res.writeHead(response.status, head);
      // The head now, its bytes as they are (Fetch headers are byte strings).
      res.write('', 'latin1');
      if (response.body === null) {
        res.end();
        return;
      }
      try {
        for await (const chunk of response.body) res.write(chunk);
        res.end();
      } catch {
        res.destroy();
      }
    });
  });
}

export interface EntryPoints {
  readonly all: readonly EntryPoint[];
  /** The TLS server's certificate (PEM), for clients that check it. */
  readonly ca: string;
  close(): Promise<void>;
}

/** Starts every entry point on 127.0.0.1, port 0. */
export async function startEntryPoints(): Promise<EntryPoints> {
  const closers: (() => Promise<unknown>)[] = [];
  const all: EntryPoint[] = [];
  const world = () => {
    const transport = new SwitchableTransport();
    return { transport, hub: createHub(hubOptions(transport)) };
  };

  for (const [name, make] of [
    [
      'embedded node:http',
      (hub: Hub) => nodeServer((req, res) => void serveHub(hub, req, res, { authorize })),
    ],
    [
      'embedded Express',
      (hub: Hub) => {
        const app = express();
        app.get(HUB_PATH, (req, res) => void serveHub(hub, req, res, { authorize }));
        return createServer(app);
      },
    ],
    ['embedded Fetch', fetchBridge],
  ] as const) {
    const { transport, hub } = world();
    const server = make(hub);
    const port = await listen(server);
    all.push({ name, port, protocol: 'h1', hub, transport });
    closers.push(async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
  }

  {
    const { transport, hub } = world();
    const app = Fastify();
    app.get(HUB_PATH, async (request, reply) => {
      await serveHubFastify(hub, request, reply, { authorize });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    all.push({ name: 'embedded Fastify', port, protocol: 'h1', hub, transport });
    closers.push(async () => {
      await hub.close();
      app.server.closeAllConnections();
      await app.close();
    });
  }

  const standalone = async (name: string, extra: Parameters<typeof createHubServer>[0]) => {
    const { transport, hub } = world();
    const server: HubServer = createHubServer({
      hub,
      jwtKey: SECRET,
      anonymous: true,
      resourceIdentifier: RESOURCE_IDENTIFIER,
      heartbeatInterval: false,
      maxTopics: MAX_TOPICS,
      ...extra,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    closers.push(() => server.close());
    return { name, port, hub, transport };
  };
  all.push({ ...(await standalone('standalone, front door', {})), protocol: 'h1' });
  all.push({
    ...(await standalone('standalone, node:http only', { leanSubscribers: false })),
    protocol: 'h1',
  });
  // Two TLS servers, one per protocol, so each has a hub of its own (ALPN
  // picks HTTP/1.1 or HTTP/2 on either).
  const certificate = await devCertificate('127.0.0.1', {});
  all.push({
    ...(await standalone('standalone TLS, HTTP/1.1', { tls: certificate })),
    protocol: 'tls-h1',
  });
  all.push({
    ...(await standalone('standalone TLS, HTTP/2', { tls: certificate })),
    protocol: 'h2',
  });

  return {
    all,
    ca: String(certificate.cert),
    async close() {
      for (const close of closers) await close().catch(() => undefined);
      const { rmSync } = await import('node:fs');
      rmSync(certificate.dir, { recursive: true, force: true });
    },
  };
}
