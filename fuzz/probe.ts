/**
 * Sends one fuzz case over raw TCP to 127.0.0.1 and reads back what the hub
 * answers: each response's status (heads are parsed; bodies are skipped by
 * Content-Length or chunked framing; an event stream ends the parsing, since
 * it stays open by design). Every probe ends by itself: the answer owed
 * arrived, the server closed, the connection went idle, or the deadline hit.
 */
import { connect, type Socket } from 'node:net';
import type { FuzzCase } from './targets.js';

export interface ParsedResponse {
  readonly status: number;
  /** A `text/event-stream` response (its body never ends by design). */
  readonly sse: boolean;
  /** The server said `Connection: close`. */
  readonly close: boolean;
  /** The head and up to 300 bytes of the body, for findings. */
  readonly excerpt: string;
}

export interface ProbeResult {
  readonly responses: ParsedResponse[];
  /** The server closed (or reset) the connection. */
  readonly closedByServer: boolean;
  readonly reset: boolean;
  /** A response was owed and none came before the deadline. */
  readonly timedOut: boolean;
  /** Milliseconds from the last write to the first response byte (undefined: none). */
  readonly firstByteMs: number | undefined;
  readonly totalMs: number;
}

const MAX_BUFFER = 512 * 1024;

/** Parses as many complete responses as `buf` holds. */
export function parseResponses(buf: Buffer, methods: readonly string[]): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  let request = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd === -1) return out;
    const head = buf.toString('latin1', at, headEnd);
    const lines = head.split('\r\n');
    const match = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '');
    if (match === null) return out; // not HTTP: stop (counted as no response)
    const status = Number(match[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const bodyStart = headEnd + 4;
    const excerpt = (end: number): string =>
      buf.toString('latin1', at, Math.min(end, bodyStart + 300, buf.length));
    if (status >= 100 && status < 200) {
      at = bodyStart; // informational (100 Continue): the real answer follows
      continue;
    }
    const sse = (headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    const close = (headers.get('connection') ?? '').toLowerCase().includes('close');
    const method = methods[request] ?? 'GET';
    request += 1;
    if (sse) {
      out.push({ status, sse, close, excerpt: excerpt(buf.length) });
      return out;
    }
    const noBody = method === 'HEAD' || status === 204 || status === 304;
    const length = headers.get('content-length');
    if (noBody) {
      out.push({ status, sse, close, excerpt: excerpt(bodyStart) });
      at = bodyStart;
      continue;
    }
    if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
      let p = bodyStart;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd === -1) return out;
        const size = parseInt(buf.toString('latin1', p, lineEnd), 16);
        if (Number.isNaN(size)) return out;
        if (size === 0) {
          // Trailer lines, then an empty line.
          let q = lineEnd + 2;
          for (;;) {
            const e = buf.indexOf('\r\n', q);
            if (e === -1) return out;
            const empty = e === q;
            q = e + 2;
            if (empty) break;
          }
          out.push({ status, sse, close, excerpt: excerpt(q) });
          at = q;
          break;
        }
        p = lineEnd + 2 + size + 2;
        if (p > buf.length) return out;
      }
      continue;
    }
    if (length !== undefined) {
      const end = bodyStart + Number(length);
      if (!(end <= buf.length)) return out;
      out.push({ status, sse, close, excerpt: excerpt(end) });
      at = end;
      continue;
    }
    // No framing: the body runs to the close. Count the head; nothing follows.
    out.push({ status, sse, close: true, excerpt: excerpt(buf.length) });
    return out;
  }
}

/** Whether the answers owed for `c` are in. */
function answered(c: FuzzCase, responses: readonly ParsedResponse[]): boolean {
  if (c.owed === 0) return false;
  return responses.length >= c.owed || responses.some((r) => r.sse || r.close);
}

export interface ProbeOptions {
  readonly port: number;
  /** Most time for an owed answer. */
  readonly deadlineMs: number;
  /** Without an owed answer: how long the connection may stay silent before the probe ends it. */
  readonly idleMs: number;
  /**
   * Called when an event stream opened and could be held (`holdMs`); returns
   * whether to hold it. `release` ends the hold early.
   */
  readonly mayHold: (release: () => void) => boolean;
  readonly onHoldEnd: () => void;
}

export function probe(c: FuzzCase, options: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let lastWrite = started;
    let firstByteMs: number | undefined;
    let buf = Buffer.alloc(0);
    let responses: ParsedResponse[] = [];
    let closedByServer = false;
    let reset = false;
    let timedOut = false;
    let done = false;
    let holding = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const timers: NodeJS.Timeout[] = [];

    const socket: Socket = connect({ host: '127.0.0.1', port: options.port });
    socket.setNoDelay(true);

    const report = (): void => {
      resolve({
        responses,
        closedByServer,
        reset,
        timedOut,
        firstByteMs,
        totalMs: performance.now() - started,
      });
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      clearTimeout(idleTimer);
      socket.destroy();
      if (holding) options.onHoldEnd();
      report(); // a no-op when the answer was reported already (held streams)
    };
    const later = (ms: number, fn: () => void): void => {
      timers.push(setTimeout(fn, ms));
    };
    const armIdle = (): void => {
      if (c.owed > 0 || holding) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(finish, options.idleMs);
    };

    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = !done;
      finish();
    });
    socket.on('data', (data: Buffer) => {
      firstByteMs ??= performance.now() - lastWrite;
      if (buf.length < MAX_BUFFER) buf = Buffer.concat([buf, data]);
      responses = parseResponses(buf, c.methods);
      if (answered(c, responses)) {
        const stream = responses.find((r) => r.sse);
        if (stream !== undefined && c.holdMs > 0 && !holding && options.mayHold(finish)) {
          // A resident subscriber: the answer is in (reported now), the stream
          // stays open for holdMs so that publishes are matched against it.
          holding = true;
          report();
          later(c.holdMs, finish);
          return;
        }
        if (!holding) finish();
        return;
      }
      armIdle();
    });
    socket.once('connect', () => {
      let i = 0;
      const writeNext = (): void => {
        if (done) return;
        const chunk = c.chunks[i++];
        if (chunk === undefined) {
          lastWrite = performance.now();
          if (c.end === 'destroy') {
            finish();
            return;
          }
          if (c.end === 'half-close') socket.end();
          if (c.owed > 0) {
            later(options.deadlineMs, () => {
              if (!answered(c, responses)) timedOut = true;
              finish();
            });
          } else {
            armIdle();
            // Bounded even if the server trickles bytes forever.
            later(options.deadlineMs, finish);
          }
          return;
        }
        socket.write(chunk);
        if (c.gapMs > 0) later(c.gapMs, writeNext);
        else writeNext();
      };
      writeNext();
    });
    // Bounded whatever happens (connect never completing, a long trickle).
    later(options.deadlineMs + c.chunks.length * c.gapMs + c.holdMs + 5000, finish);
  });
}
