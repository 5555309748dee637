/**
 * Sends one subscribe request, byte for byte as the row says (HTTP/1.1 over
 * TCP or TLS; HTTP/2 through node's client), and reduces the answer to what
 * must be the same on every entry point: an {@link Outcome}.
 *
 * - `retry`: no HTTP answer (the connection was dropped or the stream reset
 *   before a response), or a `200 text/event-stream` whose body broke before
 *   any event (a Fetch runtime's closest equivalent): `EventSource` retries.
 * - `response`: the status, the headers that matter, and the body (a
 *   refusal's text) or the events received (a stream).
 */
import { connect as h2connect, constants } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createParser, type ParsedEvent } from '../../src/protocol/parser.js';
import type { EntryPoint } from './entry-points.js';

/** Headers compared across entry points (the others are per-connection: date, connection, …). */
export const COMPARED_HEADERS = [
  'content-type',
  'cache-control',
  'last-event-id',
  'www-authenticate',
  'allow',
  'x-accel-buffering',
  'x-content-type-options',
  'access-control-allow-origin',
  'access-control-allow-credentials',
] as const;

export type Outcome =
  | { readonly kind: 'retry' }
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body?: string;
      readonly events?: readonly ParsedEvent[];
    };

/** One request: target and header lines as bytes (Latin-1 strings), in order. */
export interface ParityRequest {
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** What the caller does once a stream is open, and how many events to wait for. */
export interface StreamPlan {
  readonly events: number;
  /** Called once the 200 head arrived (publish, …). */
  readonly onOpen?: ((entry: EntryPoint) => Promise<void>) | undefined;
}

const WAIT_MS = 3000;
/**
 * A stream expected to carry no event is judged this long after its head:
 * still open (a stream), or already broken (a retry).
 */
const SETTLE_MS = 300;

function pick(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of COMPARED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Collects events from body chunks until `n` arrived, the body ends, or time runs out. */
class EventCollector {
  readonly events: ParsedEvent[] = [];
  readonly #parser = createParser({ onEvent: (e) => this.events.push(e) });
  feed(chunk: Uint8Array): void {
    this.#parser.feed(chunk);
  }
}

export function send(
  entry: EntryPoint,
  request: ParityRequest,
  plan: StreamPlan,
  ca: string,
): Promise<Outcome> {
  return entry.protocol === 'h2' ? sendH2(entry, request, plan, ca) : sendH1(entry, request, plan);
}

/** HTTP/1.1 over a raw socket: the request exactly as written, the response parsed here. */
function sendH1(entry: EntryPoint, request: ParityRequest, plan: StreamPlan): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket: Socket =
      entry.protocol === 'tls-h1'
        ? tlsConnect({
            host: '127.0.0.1',
            port: entry.port,
            ALPNProtocols: ['http/1.1'],
            rejectUnauthorized: false,
          })
        : netConnect(entry.port, '127.0.0.1');
    let head = `GET ${request.target} HTTP/1.1\r\n`;
    for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
    socket.write(Buffer.from(`${head}\r\n`, 'latin1'));
    const reader = new Http1Reader();
    let done = false;
    let opened = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish(reader.outcome(false));
    }, WAIT_MS);
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.status === 200 && !opened) {
        opened = true;
        void plan.onOpen?.(entry);
        if (plan.events === 0) {
          setTimeout(() => {
            finish(reader.outcome(false));
          }, SETTLE_MS);
        }
      }
      if (reader.complete(plan.events)) finish(reader.outcome(false));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      finish(reader.outcome(true));
    });
  });
}

/** A small HTTP/1.1 response reader: head, then a chunked or sized body. */
class Http1Reader {
  status: number | undefined;
  headers: Record<string, string> = {};
  #buffer = Buffer.alloc(0);
  #body: Buffer[] = [];
  #chunked = false;
  #length: number | undefined;
  readonly #events = new EventCollector();

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.status === undefined) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = this.#buffer.toString('latin1', 0, end).split('\r\n');
      this.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        this.headers[name] = name in this.headers ? `${this.headers[name]}, ${value}` : value;
      }
      this.#chunked = /chunked/i.test(this.headers['transfer-encoding'] ?? '');
      const length = this.headers['content-length'];
      this.#length = length === undefined ? undefined : Number(length);
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    this.#drain();
  }

  #drain(): void {
    if (!this.#chunked) {
      this.#take(this.#buffer);
      this.#buffer = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const eol = this.#buffer.indexOf('\r\n');
      if (eol === -1) return;
      const size = parseInt(this.#buffer.toString('latin1', 0, eol), 16);
      if (this.#buffer.length < eol + 2 + size + 2) return;
      this.#take(this.#buffer.subarray(eol + 2, eol + 2 + size));
      this.#buffer = this.#buffer.subarray(eol + 2 + size + 2);
    }
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#body.push(bytes);
    if (this.#isStream()) this.#events.feed(bytes);
  }

  #isStream(): boolean {
    return (
      this.status === 200 && (this.headers['content-type'] ?? '').startsWith('text/event-stream')
    );
  }

  /** Enough read: a sized body complete, or `events` (> 0) events of a stream. */
  complete(events: number): boolean {
    if (this.status === undefined) return false;
    if (this.#isStream()) return events > 0 && this.#events.events.length >= events;
    if (this.#length !== undefined) {
      return Buffer.concat(this.#body).length >= this.#length;
    }
    return false;
  }

  outcome(ended: boolean): Outcome {
    if (this.status === undefined) return { kind: 'retry' };
    if (this.#isStream()) {
      const events = this.#events.events;
      // A stream cut before its first event, with none expected to come: a retry.
      if (ended && events.length === 0 && this.#body.length === 0) return { kind: 'retry' };
      return { kind: 'response', status: 200, headers: pick(this.headers), events: [...events] };
    }
    return {
      kind: 'response',
      status: this.status,
      headers: pick(this.headers),
      body: Buffer.concat(this.#body).toString('utf8'),
    };
  }
}

/** HTTP/2 through node's client; header values as Latin-1 strings, as on HTTP/1.1. */
function sendH2(
  entry: EntryPoint,
  request: ParityRequest,
  plan: StreamPlan,
  ca: string,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const session = h2connect(`https://127.0.0.1:${entry.port}`, { ca, rejectUnauthorized: false });
    session.on('error', () => undefined);
    const headers: Record<string, string> = { ':method': 'GET', ':path': request.target };
    for (const [name, value] of request.headers) {
      const key = name.toLowerCase();
      if (key === 'host') headers[':authority'] = value;
      else headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    const stream = session.request(headers);
    stream.end();
    const collector = new EventCollector();
    const body: Buffer[] = [];
    let status: number | undefined;
    let responseHeaders: Record<string, string> = {};
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.close(constants.NGHTTP2_CANCEL);
      session.destroy();
      resolve(outcome);
    };
    const outcome = (ended: boolean): Outcome => {
      if (status === undefined) return { kind: 'retry' };
      const isStream =
        status === 200 && (responseHeaders['content-type'] ?? '').startsWith('text/event-stream');
      if (isStream) {
        if (ended && collector.events.length === 0 && body.length === 0) return { kind: 'retry' };
        return {
          kind: 'response',
          status,
          headers: pick(responseHeaders),
          events: [...collector.events],
        };
      }
      return {
        kind: 'response',
        status,
        headers: pick(responseHeaders),
        body: Buffer.concat(body).toString('utf8'),
      };
    };
    const timer = setTimeout(() => {
      finish(outcome(false));
    }, WAIT_MS);
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = pick(h);
      if (status === 200) {
        void plan.onOpen?.(entry);
        if (plan.events === 0) {
          setTimeout(() => {
            finish(outcome(false));
          }, SETTLE_MS);
        }
      }
    });
    stream.on('data', (chunk: Buffer) => {
      body.push(chunk);
      if (status === 200) {
        collector.feed(chunk);
        if (plan.events > 0 && collector.events.length >= plan.events) finish(outcome(false));
      }
    });
    stream.on('end', () => {
      finish(outcome(true));
    });
    stream.on('error', () => {
      finish(outcome(true));
    });
    stream.on('close', () => {
      finish(outcome(true));
    });
  });
}
