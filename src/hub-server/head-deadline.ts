/**
 * The request-head deadline of the hub server, on every path: the front door,
 * node's HTTP server (which, behind the front door, never listens, so its own
 * `headersTimeout` never runs), and HTTP/1.1 over TLS (which node's http2
 * server does not time at all). A connection waiting for a request head (a
 * new one, or a kept-alive one whose responses are all done) must complete
 * it within `timeout` ms of the moment it started waiting; otherwise it is
 * closed, with a `408 Request Timeout` first when it sent part of a head
 * (nothing else is in flight on it then). A connection that sent nothing
 * since it started waiting (idle, or kept alive after its last response) is
 * closed without a word, as an idle connection is: a 408 there could race
 * with a request the client is sending at that moment. A dribbled head does not restart the clock (the slowloris attack:
 * an idle timeout would).
 *
 * One sweep timer per server, no timer per connection: connections waiting
 * for a head sit in a `Map` in the order they started waiting (a restart
 * moves one to the end), so a sweep stops at the first one still in time.
 *
 * HTTP/2 sessions (TLS): a session must open its first stream within the
 * deadline, or it is destroyed; later, the session's own limits apply
 * (concurrent streams, header sizes).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9 (408 Request Timeout)
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';

const REQUEST_TIMEOUT_408 = Buffer.from(
  'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  'latin1',
);

/** A response: its `finish` ends a request in flight. */
interface Finishing {
  once(event: 'finish', listener: () => void): unknown;
}

/** A connection the deadline can close: a socket (HTTP/1.x) or an HTTP/2 session. */
type Waiting = Socket | Http2Session;

/** What {@link createHeadDeadline} returns. */
export interface HeadDeadline {
  /** Starts (or restarts) the clock of a socket now waiting for a request head. */
  readonly arm: (socket: Socket) => void;
  /** Stops the clock: the head arrived (or the front door serves the socket itself). */
  readonly disarm: (socket: Socket) => void;
  /** Starts the clock of a new HTTP/2 session, stopped by its first stream. */
  readonly armSession: (session: Http2Session) => void;
  /**
   * The `request` listener: stops the clock while requests are in flight on a
   * connection and restarts it when the last one is done (keep-alive).
   */
  readonly onRequest: (req: IncomingMessage | Http2ServerRequest, res: Finishing) => void;
  /** Connections closed by the deadline since start. */
  readonly expired: number;
  /** Stops the sweep (shutdown). */
  stop(): void;
}

function isSession(waiting: Waiting): waiting is Http2Session {
  return 'goaway' in waiting;
}

/** Creates the deadline; `timeout` ms, 0 for none. */
export function createHeadDeadline(timeout: number, now: () => number = Date.now): HeadDeadline {
  /**
   * Connection → when it started waiting for a head, and the bytes it had
   * sent by then; insertion order is time order.
   */
  const waiting = new Map<Waiting, { since: number; bytesRead: number }>();
  /** HTTP/1.x sockets → requests in flight on them. */
  const inFlight = new Map<Socket, number>();
  let expired = 0;
  let timer: NodeJS.Timeout | undefined;

  function forget(this: Socket | Http2Session): void {
    waiting.delete(this);
    if (!isSession(this)) inFlight.delete(this);
  }

  function sweep(): void {
    const oldest = now() - timeout;
    for (const [connection, { since, bytesRead }] of waiting) {
      if (since > oldest) break;
      waiting.delete(connection);
      expired += 1;
      if (isSession(connection)) {
        connection.destroy();
        continue;
      }
      inFlight.delete(connection);
      // Nothing is in flight on it: the 408 cannot cut into a response.
      if (connection.writable && connection.bytesRead > bytesRead) {
        connection.write(REQUEST_TIMEOUT_408);
      }
      connection.destroy();
    }
    if (waiting.size === 0) stopTimer();
  }

  function startTimer(): void {
    if (timer !== undefined || timeout === 0) return;
    // Checked a few times per deadline: a head is closed within 1.25 × `timeout`.
    timer = setInterval(sweep, Math.max(10, Math.min(1000, Math.floor(timeout / 4))));
    timer.unref();
  }

  function stopTimer(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  function watch(connection: Waiting): void {
    if (timeout === 0 || connection.destroyed) return;
    if (!waiting.has(connection) && !inFlight.has(connection as Socket)) {
      connection.on('close', forget); // closes once; `on` allocates no wrapper
    }
    waiting.delete(connection);
    waiting.set(connection, {
      since: now(),
      bytesRead: isSession(connection) ? 0 : connection.bytesRead,
    });
    startTimer();
  }

  function done(this: Socket): void {
    const left = (inFlight.get(this) ?? 1) - 1;
    if (!inFlight.has(this)) return;
    inFlight.set(this, left);
    if (left === 0) watch(this);
  }

  return {
    arm: watch,
    disarm: (socket) => {
      waiting.delete(socket);
    },
    armSession: (session) => {
      watch(session);
      session.once('stream', () => waiting.delete(session));
    },
    onRequest: (req, res) => {
      if (req.httpVersionMajor !== 1 || timeout === 0) return;
      const socket = req.socket;
      if (!inFlight.has(socket) && !waiting.has(socket)) socket.on('close', forget);
      waiting.delete(socket);
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      res.once('finish', done.bind(socket));
    },
    get expired() {
      return expired;
    },
    stop() {
      stopTimer();
      waiting.clear();
      inFlight.clear();
    },
  };
}
