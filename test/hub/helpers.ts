/**
 * Test helpers for the hub suite: a raw HTTP SSE client built on our parser,
 * a hub server on port 0, bounded waits. Every wait has a deadline.
 */
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createParser, type ParsedEvent } from '../../src/protocol/parser.js';
import type { Hub } from '../../src/hub/hub.js';
import { serveHub, type ServeHubOptions } from '../../src/mercure/serve-hub.js';
import { listen, within } from '../response/helpers.js';

export { within, listen };

/** A node:http server whose every request is `serveHub(hub, req, res, options)`. */
export async function startHubServer(
  hub: Hub,
  options: ServeHubOptions = {},
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void serveHub(hub, req, res, options);
  });
  const port = await listen(server);
  return {
    server,
    port,
    async close() {
      server.closeAllConnections();
      server.close();
      await within(once(server, 'close'), 'server close').catch(() => undefined);
    },
  };
}

/** No pooling: one socket per subscriber, closed with it. */
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** A raw SSE client: one GET, events parsed with our parser. */
export class SseClient {
  readonly events: ParsedEvent[] = [];
  readonly response: IncomingMessage;
  ended = false;
  #checks = new Set<() => void>();

  private constructor(response: IncomingMessage) {
    this.response = response;
    const parser = createParser({
      onEvent: (event) => {
        this.events.push(event);
        this.#check();
      },
    });
    response.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
    });
    response.on('end', () => {
      this.ended = true;
      this.#check();
    });
    response.on('error', () => {
      this.ended = true;
      this.#check();
    });
    response.on('close', () => {
      this.ended = true;
      this.#check();
    });
  }

  static async open(
    port: number,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const req = request({ host: '127.0.0.1', port, path, headers, agent });
    req.end();
    const [response] = (await within(once(req, 'response'), `response for ${path}`)) as [
      IncomingMessage,
    ];
    return new SseClient(response);
  }

  get status(): number | undefined {
    return this.response.statusCode;
  }

  header(name: string): string | undefined {
    const value = this.response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Event data, in order. */
  get data(): string[] {
    return this.events.map((e) => e.data);
  }

  /** Waits until `predicate()` holds. */
  until(predicate: () => boolean, what: string, ms?: number): Promise<void> {
    return within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!predicate()) return;
          this.#checks.delete(check);
          resolve();
        };
        this.#checks.add(check);
        check();
      }),
      what,
      ms,
    );
  }

  /** Waits for at least `n` events. */
  waitForEvents(n: number, ms?: number): Promise<void> {
    return this.until(() => this.events.length >= n, `${n} events`, ms);
  }

  close(): void {
    this.response.destroy();
  }

  #check(): void {
    for (const check of this.#checks) check();
  }
}

/** Reads a whole (non-SSE) response body. */
export async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (text += chunk));
  await within(once(response, 'end'), 'the response body');
  return text;
}

/** Collects `n` updates from an async iterator, bounded. */
export async function take<T>(iterator: AsyncIterator<T>, n: number, ms?: number): Promise<T[]> {
  const out: T[] = [];
  await within(
    (async () => {
      while (out.length < n) {
        const result = await iterator.next();
        if (result.done === true) break;
        out.push(result.value);
      }
    })(),
    `${n} updates`,
    ms,
  );
  return out;
}
