/**
 * The hub server over TLS: HTTP/2, with HTTP/1.1 for clients that do not
 * offer `h2` in ALPN (`allowHTTP1`), on one port.
 *
 * Why HTTP/2 matters for SSE: over HTTP/1.1 a browser opens at most six
 * connections per origin, and every open `EventSource` holds one for good,
 * so a seventh tab (or a seventh stream in one page) waits forever. Over
 * HTTP/2 every stream shares one connection (100 concurrent streams by
 * default here, the browser's usual expectation), and headers are
 * compressed.
 *
 * Shutdown: node's http2 server has no `closeIdleConnections()`, so the
 * connections are tracked here: HTTP/2 sessions get a graceful GOAWAY
 * (`session.close()`: open streams finish, which the hub's close makes them
 * do); HTTP/1.1 connections are closed once idle (at once, or when their
 * response in flight ends).
 *
 * Deadlines (`head-deadline.ts`): the TLS handshake must end within the head
 * deadline (`handshakeTimeout`); then an HTTP/1.1 connection must send each
 * request head, and an HTTP/2 session its first stream, within it too.
 */
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { SseError } from '../protocol/sse-error.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/index.js';
import type { HeadDeadline } from './head-deadline.js';

/** Certificate and key, PEM. */
export interface TlsOptions {
  /** The certificate chain (PEM). */
  cert: string | Buffer;
  /** The private key (PEM). */
  key: string | Buffer;
}

/** The secure server and its connection bookkeeping for shutdown. */
export interface SecureServer {
  readonly server: Http2SecureServer;
  /** Shutdown, step 1: GOAWAY to HTTP/2 sessions, close idle HTTP/1.1 connections. */
  closeIdle(): void;
  /** Shutdown, last resort: drop every connection. */
  destroyAll(): void;
}

/** Most concurrent streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
const MAX_CONCURRENT_STREAMS = 100;

export function createSecureHubServer(
  tls: TlsOptions,
  onRequest: (req: NodeSseRequest, res: NodeSseResponse) => void,
  deadline: HeadDeadline,
  headersTimeout: number,
): SecureServer {
  const sessions = new Set<Http2Session>();
  /** HTTP/1.1 connections → responses in flight on them. */
  const http1 = new Map<TLSSocket, number>();
  let closing = false;

  let server: Http2SecureServer;
  try {
    server = createSecureServer(
      {
        cert: tls.cert,
        key: tls.key,
        allowHTTP1: true,
        // 0 would mean no limit for node: keep its default (120 s) then.
        ...(headersTimeout > 0 ? { handshakeTimeout: headersTimeout } : {}),
        settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
      },
      onSecureRequest,
    );
  } catch (error) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"tls" must hold a PEM certificate and its private key: ${(error as Error).message}`,
      { field: 'tls', cause: error },
    );
  }
  function onSecureRequest(req: NodeSseRequest, res: NodeSseResponse): void {
    // allowHTTP1: HTTP/1.1 requests arrive here as node:http objects.
    deadline.onRequest(req, res);
    const socket = req.socket as TLSSocket;
    const inFlight = http1.get(socket);
    if (inFlight !== undefined) {
      http1.set(socket, inFlight + 1);
      res.once('close', () => {
        const left = (http1.get(socket) ?? 1) - 1;
        http1.set(socket, left);
        if (closing && left === 0) socket.end();
      });
    }
    onRequest(req, res);
  }
  server.on('session', (session) => {
    sessions.add(session);
    deadline.armSession(session);
    session.once('close', () => sessions.delete(session));
    if (closing) session.close();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    deadline.arm(socket);
    http1.set(socket, 0);
    socket.once('close', () => http1.delete(socket));
  });

  return {
    server,
    closeIdle() {
      closing = true;
      for (const session of sessions) session.close();
      for (const [socket, inFlight] of http1) if (inFlight === 0) socket.end();
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of http1.keys()) socket.destroy();
    },
  };
}
