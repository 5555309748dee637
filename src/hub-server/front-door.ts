/**
 * The hub server's front door for HTTP/1.x: a TCP listener that reads each
 * connection's first request head and serves plain subscribe requests
 * (`GET <hub path>?topic=…`) on the bare socket (`createRawSseStream`);
 * everything else (publishes, preflights, the page, metrics, and any request
 * this strict reader does not fully understand) goes to node's HTTP server
 * unchanged, bytes and all.
 *
 * Why: a subscriber served through node's `ServerResponse` keeps node's HTTP
 * machinery alive for the life of the stream (about 4.6 KB of heap per
 * connection, measured at 10,000 subscribers); on the socket alone it costs
 * about a quarter of that.
 *
 * Safety by construction: the fast path only takes a request it can read
 * completely and unambiguously: one complete head in the first packet with
 * nothing after it, `GET` on the hub path, HTTP/1.0 or 1.1, token header
 * names, no obs-fold, no repeated header, no control character in a value
 * (RFC 9110 §5.5: node refuses those with 400), a `Host` on HTTP/1.1, no
 * body headers, no `Upgrade` or `Expect`. Anything else is handed to node's
 * HTTP server, which parses the same bytes from the start (and refuses what
 * it must). A request the fast path takes is answered by the subscribe core
 * like any other (`MercureHandler.subscribeRaw`): the stream, or the same
 * refusal node's path would send.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-2 (message format)
 */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  Server as HttpServer,
  ServerResponse,
} from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { RawRequestHead } from '../response/index.js';
import type { HeadDeadline } from './head-deadline.js';

/** Largest head read on the fast path (node's default `maxHeaderSize`). */
const MAX_HEAD_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^GET ([^\s]+) HTTP\/1\.([01])$/;
/** Headers that mean the request is more than a plain GET. */
const NOT_PLAIN = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect']);
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
// eslint-disable-next-line no-control-regex -- the point is to find them
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Reads a plain `GET` on `hubPath` from the first bytes of a connection, or
 * returns `undefined` when the request must go to node's HTTP server.
 */
export function readSubscribeHead(chunk: Buffer, hubPath: string): RawRequestHead | undefined {
  const end = chunk.indexOf(HEAD_END);
  // Incomplete, too large, or followed by more bytes (a pipelined request):
  // node's parser deals with those.
  if (end === -1 || end + 4 !== chunk.length || chunk.length > MAX_HEAD_BYTES) return undefined;
  const lines = chunk.toString('latin1', 0, end).split('\r\n');
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (match === null) return undefined;
  const url = match[1] as string;
  if (url !== hubPath && !url.startsWith(`${hubPath}?`)) return undefined;
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined; // includes obs-fold (a leading space or tab)
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const key = name.toLowerCase();
    if (NOT_PLAIN.has(key) || headers[key] !== undefined) return undefined;
    // [RFC 9110 §5.5] leading and trailing whitespace is not part of the value.
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    // [RFC 9110 §5.5] field values hold no control characters but HTAB.
    if (CONTROL.test(value)) return undefined;
    headers[key] = value;
  }
  const httpVersionMinor = match[2] === '1' ? 1 : 0;
  if (httpVersionMinor === 1 && headers.host === undefined) return undefined;
  return { method: 'GET', url, httpVersionMinor, headers };
}

export interface SubscriberFrontOptions {
  /** The hub path (`/.well-known/mercure`). */
  readonly hubPath: string;
  /** Serves everything the fast path does not take. */
  readonly httpServer: HttpServer;
  /**
   * Serves a subscribe request on the socket: the stream, or a refusal
   * (then the connection closes). It owns the socket from then on.
   */
  subscribe(head: RawRequestHead, socket: Socket): Promise<void>;
  /** While the server shuts down, subscribe requests are dropped unanswered. */
  closing(): boolean;
  /**
   * The request-head deadline: started when a connection is accepted, stopped
   * when the fast path takes the request or when node's server has read the
   * head of a handed connection (its `request` event).
   */
  readonly deadline: HeadDeadline;
  /** Decides whether a new connection is served at all (connection limits). */
  admit?(socket: Socket): boolean;
}

/** What `createSubscriberFront` returns. */
export interface SubscriberFront {
  /** The TCP listener; `listen()` it instead of the HTTP server. */
  readonly server: Server;
  /**
   * Shutdown, step 1: ends the connections handed to node:http that have no
   * request in flight, and the others once their response is done. (node's
   * own `closeIdleConnections()` cannot: a server that never listened does
   * not track its connections.)
   */
  closeIdle(): void;
  /** Destroys every socket still open: the fast path's and the handed ones (end of a graceful shutdown). */
  destroySockets(): void;
}

function swallow(): void {
  // A reset before the request is routed: nothing to answer.
}

/** Creates the front door; see the file comment. */
export function createSubscriberFront(options: SubscriberFrontOptions): SubscriberFront {
  const { hubPath, httpServer, deadline } = options;
  const held = new Set<Socket>();
  /** Connections handed to node:http → requests in flight on them. */
  const handed = new Map<Socket, number>();
  let closing = false;
  // Listeners shared by every socket (they get it as `this`): no closure per connection.
  function forget(this: Socket): void {
    held.delete(this);
  }
  function forgetHanded(this: Socket): void {
    handed.delete(this);
  }
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const inFlight = handed.get(socket);
    if (inFlight === undefined) return;
    handed.set(socket, inFlight + 1);
    res.once('close', () => {
      const left = (handed.get(socket) ?? 1) - 1;
      if (!handed.has(socket)) return;
      handed.set(socket, left);
      if (closing && left === 0) socket.end();
    });
  });

  function handOff(socket: Socket, chunk: Buffer | undefined): void {
    // The head deadline keeps running from the accept: node's `request` event stops it.
    socket.off('error', swallow);
    if (socket.destroyed) return;
    if (chunk !== undefined) socket.unshift(chunk);
    handed.set(socket, 0);
    socket.on('close', forgetHanded); // closes once; `on` allocates no wrapper
    // node's server attaches its parser and listeners, as for any connection.
    httpServer.emit('connection', socket);
    socket.resume();
  }

  function onFirstChunk(this: Socket, chunk: Buffer): void {
    route(this, chunk);
  }

  function route(socket: Socket, chunk: Buffer): void {
    socket.pause();
    const head = readSubscribeHead(chunk, hubPath);
    if (head === undefined) {
      handOff(socket, chunk);
      return;
    }
    deadline.disarm(socket);
    if (options.closing()) {
      // A transient refusal: the client reconnects elsewhere (see refusal.ts).
      socket.destroy();
      return;
    }
    held.add(socket);
    socket.on('close', forget); // closes once; `on` allocates no wrapper
    options.subscribe(head, socket).then(
      () => {
        if (socket.destroyed) return; // gone while it was being authorized
        // Read on, so the client's FIN or reset is seen and closes the stream.
        socket.resume();
      },
      () => {
        socket.destroy();
      },
    );
  }

  const server = createServer((socket) => {
    socket.on('error', swallow);
    if (options.admit?.(socket) === false) return;
    deadline.arm(socket);
    socket.once('data', onFirstChunk);
  });

  return {
    server,
    closeIdle() {
      closing = true;
      // A connection handed over with its first request still being parsed
      // counts as idle here: ended, its client sees a network error and retries.
      for (const [socket, inFlight] of handed) if (inFlight === 0) socket.end();
    },
    destroySockets() {
      for (const socket of held) socket.destroy();
      held.clear();
      for (const socket of handed.keys()) socket.destroy();
      handed.clear();
    },
  };
}
