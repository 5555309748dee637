/**
 * IPC messages between the fan-out driver (`run.ts`), the server under test
 * (`servers/*.ts`, through `server-harness.ts`) and the generator processes
 * (`generator-worker.ts`). Plain JSON over Node's `fork`-style IPC channel.
 */

/** The marker counted on every connection: it occurs exactly once per update frame. */
export const FRAME_MARKER = '{"seq":';

/** Payload of one update: about 100 bytes of JSON with the sequence number and the scheduled publish time. */
export function makePayload(seq: number, tUs: number, size: number): string {
  const head = `${FRAME_MARKER}${seq},"t":${Math.round(tUs)},"p":"`;
  const pad = Math.max(0, size - head.length - 2);
  return head + 'x'.repeat(pad) + '"}';
}

// Driver → server
export type ServerCommand =
  | {
      type: 'publish';
      rate: number;
      count: number;
      startSeq: number;
      payloadSize: number;
      /**
       * The time each payload carries: its scheduled time (default: a server
       * that falls behind shows its queueing delay), or the time of the
       * `publish` call (publish-to-receive latency, without the timer's
       * lateness; the lag is reported apart as `maxLagUs`).
       */
      stamp?: 'scheduled' | 'call' | undefined;
    }
  | { type: 'stats'; gc: boolean }
  | { type: 'exit' };

// Server → driver
export type ServerReply =
  | { type: 'ready'; port: number; name: string }
  | {
      type: 'published';
      firstSeq: number;
      lastSeq: number;
      count: number;
      startUs: number;
      endUs: number;
      /** Largest delay between an update's scheduled time and its `publish` call, µs. */
      maxLagUs: number;
    }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'error'; message: string };

export interface ServerStats {
  /** `process.cpuUsage()` totals, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  subscribers: number;
  atUs: number;
}

// Driver → generator worker
export type WorkerCommand =
  | {
      type: 'connect';
      port: number;
      path: string;
      count: number;
      /** Source addresses (127.0.0.x) to rotate over. */
      localAddresses: string[];
      /** Connections with `index % sampleEvery === 0` are parsed fully. */
      sampleEvery: number;
      /** Offset of this worker's first connection in the global numbering. */
      indexOffset: number;
      concurrency: number;
    }
  | { type: 'snapshot' }
  | { type: 'reset-latency'; fromUs: number }
  | { type: 'collect-latency' }
  | { type: 'close' };

// Generator worker → driver
export type WorkerReply =
  | {
      type: 'connected';
      connected: number;
      failed: number;
      ms: number;
      firstError: string | undefined;
    }
  | { type: 'snapshot'; snapshot: WorkerSnapshot }
  | { type: 'latency'; latency: WorkerLatency }
  | { type: 'closed' };

export interface WorkerSnapshot {
  /** Update frames counted on all connections so far. */
  frames: number;
  /** Bytes read on all connections so far. */
  bytes: number;
  open: number;
  closedByServer: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  atUs: number;
}

export interface WorkerLatency {
  /** Histogram counts (see histogram.ts), for updates scheduled at or after `fromUs`. */
  histogram: number[];
  /** Events parsed on sampled connections since the reset. */
  sampledEvents: number;
  /** Sum over sampled connections of missing sequence numbers (gaps). */
  sampledGaps: number;
  /** Events with a sequence number not above the previous one on that connection. */
  sampledDuplicates: number;
  /** Marker count on sampled connections since the reset (must equal sampledEvents). */
  sampledMarkers: number;
  sampledConnections: number;
  /** Largest sequence number seen on each sampled connection (min over connections). */
  minLastSeq: number;
  maxLatencyUs: number;
}
