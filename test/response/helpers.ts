/**
 * Test helpers for the server suite: bounded waits, a queue of server-side
 * streams, text collectors for raw clients, and an in-memory connection.
 * Every wait has a deadline that fails the test instead of hanging it.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { SseError } from '../../src/protocol/sse-error.js';
import type { SseConnection, SseConnectionSink } from '../../src/response/connection.js';
import type { SseHeaders } from '../../src/response/options.js';
import type { SseCloseReason, SseStream } from '../../src/response/sse-stream.js';

/** Default deadline for one wait. Generous: only a broken test ever reaches it. */
export const WAIT_MS = 5_000;

/** Resolves like `promise`, or rejects once `ms` have passed. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Listens on an ephemeral port on 127.0.0.1; resolves to the port. */
export async function listen(server: Server | Http2Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 'listen');
  return (server.address() as AddressInfo).port;
}

/** A FIFO whose `next()` waits (bounded) for the next pushed item. */
export class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#items.push(item);
    else waiter(item);
  }

  next(what = 'the next item'): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return within(
      new Promise<T>((resolve) => {
        this.#waiters.push(resolve);
      }),
      what,
    );
  }
}

/** Resolves with the close reason and error of `stream`. */
export function closed(stream: SseStream): Promise<[SseCloseReason, SseError]> {
  return within(
    new Promise((resolve) => {
      stream.on('close', (reason, error) => {
        resolve([reason, error]);
      });
    }),
    'the stream to close',
  );
}

/** Collects text from an emitter of `data` chunks; waits for text to appear. */
export class TextCollector {
  text = '';
  ended = false;
  readonly #checks = new Set<() => void>();

  constructor(source: NodeJS.EventEmitter) {
    source.on('data', (chunk: Buffer | string) => {
      this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const check of this.#checks) check();
    });
    source.on('end', () => {
      this.ended = true;
      for (const check of this.#checks) check();
    });
  }

  /** Waits until `predicate(text)` holds. */
  until(predicate: (text: string) => boolean, what: string): Promise<string> {
    return within(
      new Promise<string>((resolve) => {
        const check = (): void => {
          if (!predicate(this.text)) return;
          this.#checks.delete(check);
          resolve(this.text);
        };
        this.#checks.add(check);
        check();
      }),
      what,
    );
  }

  /** Waits until the collected text contains `part`. */
  includes(part: string): Promise<string> {
    return this.until((text) => text.includes(part), JSON.stringify(part));
  }

  /** Waits for the end of the body. */
  end(): Promise<string> {
    return this.until(() => this.ended, 'the end of the body');
  }
}

/** Counts the non-overlapping occurrences of `part` in `text`. */
export function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

/**
 * An in-memory connection: records what the stream does and lets a test set
 * the unsent byte count and play the peer going away.
 */
export class MemoryConnection implements SseConnection {
  headers: SseHeaders | undefined;
  sink: SseConnectionSink | undefined;
  readonly chunks: (string | Uint8Array)[] = [];
  buffered = 0;
  ended = false;
  destroyedWith: Error | undefined;
  /** Set to make `open` find the connection already gone. */
  goneBeforeOpen = false;

  open(headers: SseHeaders, sink: SseConnectionSink): void {
    this.headers = headers;
    this.sink = sink;
    if (this.goneBeforeOpen) sink.connectionClosed();
  }

  write(chunk: string | Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += typeof chunk === 'string' ? chunk.length : chunk.byteLength;
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  end(): void {
    this.ended = true;
  }

  destroy(error: Error): void {
    this.destroyedWith = error;
  }

  /** Everything written, as text. */
  get text(): string {
    const decoder = new TextDecoder();
    return this.chunks.map((c) => (typeof c === 'string' ? c : decoder.decode(c))).join('');
  }
}
