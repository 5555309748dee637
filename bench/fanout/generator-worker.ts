/**
 * One generator process of the fan-out benchmark: opens its share of the
 * subscribers with raw `net.connect` and a hand-written HTTP/1.1 request, and
 * receives on all of them as cheaply as Node allows:
 *
 * - every socket reads into one shared 64 KiB buffer (`onread`), so a read
 *   allocates nothing;
 * - on every connection, update frames are counted by searching the read
 *   bytes for the payload marker `{"seq":` with `Buffer.indexOf` (native), with
 *   the last few bytes of the previous read carried over so a marker split
 *   between two reads still counts once. (The marker, not `\n\n`, so heartbeat
 *   comments or a `retry:` frame never count as updates; no chunk header of
 *   the chunked transfer coding can contain it.)
 * - on a sample of connections (`index % sampleEvery === 0`), the chunked
 *   transfer coding is removed and the stream parsed fully with ssehub's
 *   `createParser`; each event's sequence number is checked for gaps and
 *   duplicates, and its latency is taken from the scheduled publish time in the
 *   payload (same CLOCK_MONOTONIC as the server, see clock.ts) to the read.
 *   The sequence check tolerates reordering within a window of `SEQ_WINDOW`
 *   numbers (publishers with several requests in flight, as the Redis
 *   benchmark's, may be stored out of order): a number is a gap once it
 *   leaves the window unseen, or when the step's figures are collected (after
 *   the drain) while it is still missing below the highest one seen (numbers
 *   below a connection's first one are not expected); one seen twice, or
 *   after it left the window, is a duplicate. In-order streams count exactly
 *   as a strict check would.
 *
 * Driven over IPC by run.ts; see ipc.ts for the messages.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { createParser } from '../../src/protocol/index.js';
import type { Parser } from '../../src/protocol/index.js';
import { nowUs } from './clock.js';
import { createHistogram, slotOf } from './histogram.js';
import { FRAME_MARKER } from './ipc.js';
import type { WorkerCommand, WorkerLatency, WorkerReply } from './ipc.js';

const MARKER = Buffer.from(FRAME_MARKER);
const CARRY = MARKER.length - 1;
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const scratch = Buffer.allocUnsafe(2 * CARRY);

let frames = 0;
let bytes = 0;
let open = 0;
let closedByServer = 0;
let closing = false;

// Latency and sequence accounting for sampled connections, since the last reset.
let latencyFromUs = Infinity;
let histogram = createHistogram();
let sampledEvents = 0;
let sampledGaps = 0;
let sampledDuplicates = 0;
let sampledMarkers = 0;
let maxLatencyUs = 0;

function reply(message: WorkerReply): void {
  process.send?.(message);
}

/** Removes the HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) from a byte stream, chunk extensions ignored. */
class Dechunker {
  private state: 'size' | 'ext' | 'size-lf' | 'data' | 'data-cr' | 'data-lf' | 'done' = 'size';
  private size = 0;
  private remaining = 0;

  /** Calls `out` with the payload parts of `buf`. */
  feed(buf: Buffer, out: (part: Buffer) => void): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'size': {
          const c = buf[i++] as number;
          const digit =
            c >= 0x30 && c <= 0x39
              ? c - 0x30
              : c >= 0x61 && c <= 0x66
                ? c - 0x57
                : c >= 0x41 && c <= 0x46
                  ? c - 0x37
                  : -1;
          if (digit >= 0) this.size = this.size * 16 + digit;
          else if (c === 0x0d) this.state = 'size-lf';
          else this.state = 'ext';
          break;
        }
        case 'ext':
          if (buf[i++] === 0x0d) this.state = 'size-lf';
          break;
        case 'size-lf':
          i++;
          this.remaining = this.size;
          this.size = 0;
          this.state = this.remaining === 0 ? 'done' : 'data';
          break;
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          out(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          i++;
          this.state = 'data-lf';
          break;
        case 'data-lf':
          i++;
          this.state = 'size';
          break;
        case 'done':
          return;
      }
    }
  }
}

/** Sequence numbers checked out of order within this span (2 KiB per sampled connection). */
const SEQ_WINDOW = 2048 * 8;

class Sample {
  readonly parser: Parser;
  dechunker: Dechunker | undefined;
  /** Highest sequence number seen. */
  lastSeq = -1;
  /** Lowest sequence number not accounted for: every one below was seen or counted as a gap. */
  private base = -1;
  /**
   * Numbers below the first one seen may still come (the connection may
   * open between two updates stored out of order); unseen, they are no gap.
   */
  private firstSeen = -1;
  /** `seen[seq % SEQ_WINDOW]` for seq in [base, base + SEQ_WINDOW). */
  private readonly seen = new Uint8Array(SEQ_WINDOW);
  arrivalUs = 0;

  constructor() {
    this.parser = createParser({
      onEvent: (event) => {
        const update = JSON.parse(event.data) as { seq: number; t: number };
        sampledEvents++;
        this.check(update.seq);
        if (update.t >= latencyFromUs) {
          const latency = this.arrivalUs - update.t;
          const slot = slotOf(latency);
          histogram[slot] = (histogram[slot] ?? 0) + 1;
          if (latency > maxLatencyUs) maxLatencyUs = latency;
        }
      },
    });
  }

  private check(seq: number): void {
    if (this.base < 0) {
      this.firstSeen = seq;
      this.base = Math.max(0, seq - SEQ_WINDOW / 2);
    }
    if (seq > this.lastSeq) this.lastSeq = seq;
    if (seq < this.base) {
      sampledDuplicates++;
      return;
    }
    while (seq >= this.base + SEQ_WINDOW) this.skip();
    const slot = seq % SEQ_WINDOW;
    if (this.seen[slot] === 1) {
      sampledDuplicates++;
      return;
    }
    this.seen[slot] = 1;
    while (this.seen[this.base % SEQ_WINDOW] === 1) {
      this.seen[this.base % SEQ_WINDOW] = 0;
      this.base++;
    }
  }

  /** Moves the window on by one: the number leaving it unseen is a gap. */
  private skip(): void {
    const slot = this.base % SEQ_WINDOW;
    if (this.seen[slot] === 1) this.seen[slot] = 0;
    else if (this.base >= this.firstSeen) sampledGaps++;
    this.base++;
  }

  /** Counts what is still missing below the highest number seen as gaps (after a drain). */
  settle(): void {
    while (this.base >= 0 && this.base <= this.lastSeq) this.skip();
  }

  feed(body: Buffer): void {
    this.arrivalUs = nowUs();
    if (this.dechunker)
      this.dechunker.feed(body, (part) => {
        this.parser.feed(part);
      });
    else this.parser.feed(body);
  }
}

class Subscriber {
  readonly socket: Socket;
  private head = '';
  headersDone = false;
  private readonly carry = Buffer.alloc(CARRY);
  private carryLength = 0;
  private readonly sample: Sample | undefined;

  constructor(
    port: number,
    localAddress: string,
    path: string,
    sampled: boolean,
    onHeaders: (error: string | undefined) => void,
  ) {
    this.sample = sampled ? new Sample() : undefined;
    let settled = false;
    const settle = (error: string | undefined): void => {
      if (settled) return;
      settled = true;
      onHeaders(error);
    };
    this.socket = connect({
      host: '127.0.0.1',
      port,
      localAddress,
      onread: {
        buffer: readBuffer,
        callback: (nread: number, buf: Uint8Array): boolean => {
          const error = this.onRead(buf as Buffer, nread);
          if (this.headersDone || error !== undefined) settle(error);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      open++;
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => {
      settle(error.message);
    });
    this.socket.on('close', () => {
      if (this.socket.connecting) return;
      open--;
      if (!closing) closedByServer++;
      settle('closed before headers');
    });
  }

  /** Returns an error message when the response is not a 200. */
  private onRead(buf: Buffer, nread: number): string | undefined {
    bytes += nread;
    let start = 0;
    if (!this.headersDone) {
      this.head += buf.toString('latin1', 0, nread);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const statusLine = this.head.slice(0, this.head.indexOf('\r\n'));
      if (!/^HTTP\/1\.1 200/.test(statusLine)) return `unexpected response: ${statusLine}`;
      if (this.sample && /\r\ntransfer-encoding:[^\r]*chunked/i.test(this.head.slice(0, end))) {
        this.sample.dechunker = new Dechunker();
      }
      // The body starts this many bytes before the end of this read.
      start = nread - (this.head.length - (end + 4));
      this.head = '';
      this.headersDone = true;
      if (start >= nread) return undefined;
    }
    const body = buf.subarray(start, nread);
    let count = 0;
    // A marker split between the previous read and this one.
    if (this.carryLength > 0) {
      const headLength = Math.min(CARRY, body.length);
      this.carry.copy(scratch, 0, 0, this.carryLength);
      body.copy(scratch, this.carryLength, 0, headLength);
      if (scratch.subarray(0, this.carryLength + headLength).indexOf(MARKER) >= 0) count++;
    }
    for (let i = body.indexOf(MARKER); i >= 0; i = body.indexOf(MARKER, i + MARKER.length)) count++;
    frames += count;
    // Carry the tail only when it may hold the start of a marker (a '{'): usually
    // a read ends with whole frames and nothing is copied.
    this.carryLength = 0;
    for (let i = Math.max(0, body.length - CARRY); i < body.length; i++) {
      if (body[i] === 0x7b) {
        body.copy(this.carry, 0, i);
        this.carryLength = body.length - i;
        break;
      }
    }
    if (this.sample) {
      sampledMarkers += count;
      this.sample.feed(body);
    }
    return undefined;
  }

  get lastSeq(): number {
    return this.sample ? this.sample.lastSeq : -1;
  }

  settle(): void {
    this.sample?.settle();
  }
}

const subscribers: Subscriber[] = [];

function connectAll(command: Extract<WorkerCommand, { type: 'connect' }>): void {
  const started = nowUs();
  let next = 0;
  let inFlight = 0;
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  const launch = (): void => {
    while (inFlight < command.concurrency && next < command.count) {
      const index = command.indexOffset + next++;
      inFlight++;
      const localAddress = command.localAddresses[index % command.localAddresses.length] as string;
      const subscriber = new Subscriber(
        command.port,
        localAddress,
        command.path,
        index % command.sampleEvery === 0,
        (error) => {
          inFlight--;
          if (error === undefined) connected++;
          else {
            failed++;
            firstError ??= error;
          }
          if (connected + failed === command.count) {
            reply({
              type: 'connected',
              connected,
              failed,
              ms: (nowUs() - started) / 1000,
              firstError,
            });
          } else launch();
        },
      );
      subscribers.push(subscriber);
    }
  };
  launch();
}

function latency(): WorkerLatency {
  for (const s of subscribers) s.settle();
  let sampledConnections = 0;
  let minLastSeq = Infinity;
  for (const s of subscribers) {
    if (s.lastSeq === -1 && !s.headersDone) continue;
    const seq = s.lastSeq;
    if (seq === -1) continue;
    sampledConnections++;
    if (seq < minLastSeq) minLastSeq = seq;
  }
  return {
    histogram: Array.from(histogram),
    sampledEvents,
    sampledGaps,
    sampledDuplicates,
    sampledMarkers,
    sampledConnections,
    minLastSeq: sampledConnections === 0 ? -1 : minLastSeq,
    maxLatencyUs,
  };
}

process.on('message', (raw) => {
  const command = raw as WorkerCommand;
  switch (command.type) {
    case 'connect':
      connectAll(command);
      break;
    case 'snapshot': {
      const cpu = process.cpuUsage();
      reply({
        type: 'snapshot',
        snapshot: {
          frames,
          bytes,
          open,
          closedByServer,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          atUs: nowUs(),
        },
      });
      break;
    }
    case 'reset-latency':
      latencyFromUs = command.fromUs;
      histogram = createHistogram();
      sampledEvents = 0;
      sampledGaps = 0;
      sampledDuplicates = 0;
      sampledMarkers = 0;
      maxLatencyUs = 0;
      break;
    case 'collect-latency':
      reply({ type: 'latency', latency: latency() });
      break;
    case 'close':
      closing = true;
      for (const s of subscribers) s.socket.destroy();
      reply({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
