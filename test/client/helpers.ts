/**
 * Helpers for the client suites: a scripted HTTP server on port 0 that records
 * what clients send, fake timers (a clock that only moves when told),
 * scripted `fetch` responses, and recorders of what an EventSource fires.
 * Every wait is bounded.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type {
  ClientTimers,
  EventSource,
  SseErrorEvent,
  SseOpenEvent,
} from '../../src/client/index.js';
import { Queue, within } from '../response/helpers.js';

export { Queue, within };

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Resolves when the request's connection closes (the client aborted or ended). */
  closed: Promise<void>;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  seen: SeenRequest,
  index: number,
) => void;

/** A node:http server on 127.0.0.1, port 0, answering with `handler`, recording requests. */
export class TestServer {
  readonly server: Server;
  readonly requests: SeenRequest[] = [];
  arrivals = new Queue<SeenRequest>();
  readonly #sockets = new Set<Socket>();
  handler: Handler;
  port = 0;

  constructor(handler: Handler) {
    this.handler = handler;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const seen: SeenRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          closed: new Promise((resolve) => {
            res.once('close', () => {
              resolve();
            });
          }),
        };
        const index = this.requests.push(seen) - 1;
        this.handler(req, res, seen, index);
        this.arrivals.push(seen);
      });
    });
    this.server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Answers with `handler` from now on, forgetting the requests seen so far. */
  reset(handler: Handler): void {
    this.handler = handler;
    this.requests.length = 0;
    this.arrivals = new Queue<SeenRequest>();
  }

  static async start(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
    const server = new TestServer(handler);
    server.server.listen(0, host);
    await within(once(server.server, 'listening'), 'listen');
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  url(path = '/', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.server.close();
    await within(once(this.server, 'close'), 'the test server to close');
  }
}

/** Writes an SSE response head (200, text/event-stream unless told otherwise). */
export function sseHead(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    ...headers,
  });
  res.flushHeaders();
}

/** A handler that answers every request with `body` (one chunk) and ends the response. */
export function streamOnce(
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Handler {
  return (_req, res) => {
    sseHead(res, headers);
    res.end(body);
  };
}

/** A handler that answers the n-th request with `bodies[n]` (the last one for later requests). */
export function streams(...bodies: string[]): Handler {
  return (_req, res, _seen, index) => {
    sseHead(res);
    res.end(bodies[Math.min(index, bodies.length - 1)]);
  };
}

interface Pending {
  id: number;
  due: number;
  ms: number;
  callback: () => void;
}

/**
 * Timers that fire only when the test says so, on a clock starting at 0.
 * `delays` lists every delay asked for, in order.
 */
export class FakeTimers implements ClientTimers {
  now = 0;
  readonly delays: number[] = [];
  readonly #pending: Pending[] = [];
  #nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.#nextId++, due: this.now + ms, ms, callback };
    this.#pending.push(timer);
    this.delays.push(ms);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    const at = this.#pending.findIndex((t) => t.id === handle);
    if (at !== -1) this.#pending.splice(at, 1);
  }

  /** The delays of the timers still pending, soonest first. */
  get pending(): number[] {
    return [...this.#pending].sort((a, b) => a.due - b.due).map((t) => t.ms);
  }

  /** Moves the clock to the soonest pending timer and fires it; returns its delay. */
  fireNext(): number {
    const timer = [...this.#pending].sort((a, b) => a.due - b.due)[0];
    if (timer === undefined) throw new Error('no pending timer');
    this.clearTimeout(timer.id);
    this.now = Math.max(this.now, timer.due);
    timer.callback();
    return timer.ms;
  }

  /** Fires the pending timer of exactly `ms` (the soonest such). */
  fire(ms: number): void {
    const timer = this.#pending.filter((t) => t.ms === ms).sort((a, b) => a.due - b.due)[0];
    if (timer === undefined) {
      throw new Error(`no pending timer of ${ms} ms (pending: ${this.pending.join(', ')})`);
    }
    this.clearTimeout(timer.id);
    this.now = Math.max(this.now, timer.due);
    timer.callback();
  }
}

/** A received message, as its three WHATWG fields plus origin. */
export interface Got {
  type: string;
  data: string;
  lastEventId: string;
  origin: string;
}

/** Collects what an EventSource fires: messages (of the given types), opens, errors. */
export class Recorder {
  readonly messages = new Queue<Got>();
  readonly all: Got[] = [];
  readonly errors = new Queue<SseErrorEvent>();
  readonly errorList: SseErrorEvent[] = [];
  readonly opens = new Queue<SseOpenEvent>();
  /** Every event in order, by type (`open`, `error`, or the message type). */
  readonly log: string[] = [];

  constructor(source: EventSource, types: string[] = []) {
    const onMessage = (event: MessageEvent<string>): void => {
      const got = {
        type: event.type,
        data: event.data,
        lastEventId: event.lastEventId,
        origin: event.origin,
      };
      this.log.push(event.type);
      this.all.push(got);
      this.messages.push(got);
    };
    source.addEventListener('message', onMessage);
    for (const type of types) source.addEventListener(type, onMessage);
    source.addEventListener('open', (event) => {
      this.log.push('open');
      this.opens.push(event);
    });
    source.addEventListener('error', (event) => {
      this.log.push('error');
      this.errorList.push(event);
      this.errors.push(event);
    });
  }
}

/** One scripted response for {@link ScriptedFetch}. */
export type Step =
  { kind: 'response'; response: () => Response } | { kind: 'reject'; error: () => Error };

/** A call the scripted fetch received. */
export interface FetchCall {
  url: string;
  init: RequestInit;
  headers: Headers;
}

/**
 * A `fetch` that answers call n with `steps[n]` (the last step repeats), and
 * records the calls.
 */
export class ScriptedFetch {
  readonly calls: FetchCall[] = [];
  readonly arrivals = new Queue<FetchCall>();
  readonly steps: Step[];

  constructor(steps: Step[]) {
    this.steps = steps;
  }

  readonly fetch = (url: string, init: RequestInit): Promise<Response> => {
    const call = { url, init, headers: new Headers(init.headers) };
    this.calls.push(call);
    this.arrivals.push(call);
    const step = this.steps[Math.min(this.calls.length - 1, this.steps.length - 1)];
    if (step === undefined) return Promise.reject(new Error('no step'));
    if (step.kind === 'reject') return Promise.reject(step.error());
    const response = step.response();
    // fetch rejects with an AbortError when the signal aborts before the response.
    if (init.signal?.aborted === true) {
      return Promise.reject(new DOMException('aborted', 'AbortError'));
    }
    return Promise.resolve(response);
  };
}

const encoder = new TextEncoder();

/** A 200 text/event-stream response whose body is `chunks` then the end. */
export function sseResponse(chunks: string[], init: ResponseInit = {}): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream' }, ...init },
  );
}

/** A 200 text/event-stream response that sends `chunks` and then stays open. */
export function openResponse(chunks: string[] = []): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream' } },
  );
}

/** Steps: `n` network failures. */
export function failures(n: number): Step[] {
  return Array.from({ length: n }, () => ({
    kind: 'reject' as const,
    error: () => new TypeError('fetch failed'),
  }));
}

/** Lets pending promise callbacks (and one macrotask) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
