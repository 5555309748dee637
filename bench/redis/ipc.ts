/**
 * IPC messages of the Redis benchmarks, on top of the fan-out benchmark's
 * (`bench/fanout/ipc.ts`): the HTTP publisher process (`publisher.ts`), and
 * the in-process publish burst of the hub under test (`hub.ts`).
 */

/** Where and how the publisher POSTs: the Mercure publish API with a publisher JWT. */
export interface PublishTarget {
  /** `http://127.0.0.1:<port>/.well-known/mercure` */
  url: string;
  /** Publisher JWT (`mercure.publish: ['*']`). */
  token: string;
  topic: string;
  payloadSize: number;
}

// Driver → publisher
export type PublisherCommand =
  | ({
      /**
       * Open loop: update k of `count` is sent at start + k / rate, whether
       * or not earlier requests were answered, over up to `connections`
       * keep-alive connections (a request finding them all busy waits for
       * one, in order). Each payload carries the time its request was
       * started (µs, CLOCK_MONOTONIC), so waiting for a connection counts in
       * the latency. With several connections the hub may store updates
       * out of order (the generators' sequence check allows for it).
       */
      type: 'schedule';
      rate: number;
      count: number;
      startSeq: number;
      connections: number;
    } & PublishTarget)
  | ({
      /**
       * Closed loop: `concurrency` keep-alive connections, each sending its
       * next request as soon as the previous one was answered, for
       * `warmupSeconds` + `seconds`; counted over the last `seconds`.
       */
      type: 'flood';
      concurrency: number;
      warmupSeconds: number;
      seconds: number;
      startSeq: number;
    } & PublishTarget)
  | { type: 'exit' };

/** What a `schedule` or `flood` run did. */
export interface PublishReport {
  /** Requests answered 200 (all of the run, warm-up included). */
  ok: number;
  /** Requests answered otherwise, or failed. */
  failed: number;
  firstError: string | undefined;
  /** Sequence numbers used: `startSeq` … `nextSeq - 1`. */
  nextSeq: number;
  /** Largest delay between a scheduled update's due time and its request, µs (`schedule`). */
  maxLagUs: number;
  /** 200s within the measured window (`flood`). */
  okInWindow: number;
  /** Measured window, µs (`flood`). */
  windowUs: number;
  /** Publisher CPU in the window (`flood`), µs. */
  cpuUs: number;
  /** Request → response time of the window's requests (histogram.ts slots). */
  responseHistogram: number[];
}

// Publisher → driver
export type PublisherReply =
  | { type: 'ready' }
  | { type: 'scheduled'; report: PublishReport }
  | { type: 'flooded'; report: PublishReport }
  | { type: 'error'; message: string };

// Driver → hub under test (besides bench/fanout/ipc.ts ServerCommand)
export interface BurstCommand {
  /**
   * `hub.publish()` in process, closed loop: each macrotask publishes
   * `concurrency` updates and waits for all of them, for
   * `warmupSeconds` + `seconds`; counted over the last `seconds`.
   */
  type: 'burst';
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  startSeq: number;
  payloadSize: number;
}

// Hub under test → driver (besides bench/fanout/ipc.ts ServerReply)
export interface BurstReply {
  type: 'burst-done';
  /** Publishes resolved within the window. */
  count: number;
  /** Publishes over the whole run (warm-up included). */
  total: number;
  failed: number;
  firstError: string | undefined;
  windowUs: number;
  cpuUs: number;
  nextSeq: number;
}
