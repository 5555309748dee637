/**
 * What every fan-out server under test shares, so the three differ only in how
 * they attach a subscriber and broadcast an update:
 *
 * - a node:http server on 127.0.0.1 (port 0, backlog 4096) routing
 *   `GET /events?topic=…` to the server's own handler;
 * - the same in-process publisher, driven by the driver over IPC: it publishes
 *   `count` updates at `rate` per second on a fixed schedule (update k is due at
 *   start + k / rate), catching up when the event loop was late, each update
 *   from its own macrotask (`setImmediate`), and stamps each payload with its
 *   *scheduled* time (not the time the call happened), so an overloaded server
 *   cannot hide its queueing delay (no coordinated omission); with
 *   `stamp: 'call'` (the Redis benchmark's latency steps) the time of the call
 *   instead, and the lag apart;
 * - stats over IPC: `process.cpuUsage()` totals, and memory after `global.gc()`
 *   (the server runs with `--expose-gc`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { nowUs } from './clock.js';
import { makePayload } from './ipc.js';
import type { ServerCommand, ServerReply, ServerStats } from './ipc.js';

export interface FanoutServer {
  name: string;
  /** Attaches `GET /events?topic=…` as an SSE subscriber of that topic. */
  subscribe(req: IncomingMessage, res: ServerResponse, topic: string): void;
  /** Broadcasts one update (single-line JSON `payload`, with sequence number `seq`) to topic `topic`. */
  publish(topic: string, seq: number, payload: string): void;
  /** Subscribers currently attached. */
  subscribers(): number;
  /**
   * A server that routes `GET /events?topic=…` itself (ssehub's hub server
   * with its front door, as `ssehub serve` runs). The harness listens on it
   * instead of its own node:http server, with the same address and backlog,
   * and `subscribe` is not called.
   */
  listener?: NetServer;
  /**
   * A server in another process that already listens on this port (nginx
   * for nchan): the harness listens on nothing and reports this port.
   */
  port?: number;
  /**
   * CPU and memory of that other process, reported instead of this
   * process's own (and without a garbage collection).
   */
  usage?(): { cpuUserUs: number; cpuSystemUs: number; rss: number };
  /**
   * Commands the harness does not know (other benchmarks' own, such as the
   * Redis benchmark's in-process publish burst) go here; replies go out with
   * `process.send`.
   */
  command?(message: { type: string }): void;
}

export const TOPIC = 'bench';

function send(message: ServerReply): void {
  process.send?.(message);
}

export function runServer(server: FanoutServer): void {
  if (!process.send) throw new Error('run me through bench/fanout/run.ts (needs an IPC channel)');
  const http: NetServer =
    server.listener ??
    // (created but never listening when the server is another process)
    createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/events') {
        server.subscribe(req, res, url.searchParams.get('topic') ?? TOPIC);
        return;
      }
      res.writeHead(404).end();
    });
  if (server.port !== undefined) {
    send({ type: 'ready', port: server.port, name: server.name });
  } else {
    http.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      send({ type: 'ready', port: (http.address() as AddressInfo).port, name: server.name });
    });
  }

  function stats(gc: boolean): ServerStats {
    const usage = server.usage?.();
    if (usage !== undefined) {
      return {
        ...usage,
        heapUsed: 0,
        external: 0,
        arrayBuffers: 0,
        subscribers: server.subscribers(),
        atUs: nowUs(),
      };
    }
    if (gc) {
      const collect = (globalThis as { gc?: () => void }).gc;
      if (!collect) throw new Error('start the server with --expose-gc');
      collect();
      collect();
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      subscribers: server.subscribers(),
      atUs: nowUs(),
    };
  }

  function publishRun(
    rate: number,
    count: number,
    startSeq: number,
    payloadSize: number,
    stampCall: boolean,
  ): void {
    const startUs = nowUs();
    const periodUs = 1e6 / rate;
    let scheduled = 0;
    let published = 0;
    let maxLagUs = 0;
    const publishOne = (seq: number, dueUs: number): void => {
      const callUs = nowUs();
      maxLagUs = Math.max(maxLagUs, callUs - dueUs);
      server.publish(TOPIC, seq, makePayload(seq, stampCall ? callUs : dueUs, payloadSize));
      if (++published === count) {
        send({
          type: 'published',
          firstSeq: startSeq,
          lastSeq: startSeq + count - 1,
          count,
          startUs,
          endUs: nowUs(),
          maxLagUs,
        });
      }
    };
    const tick = (): void => {
      const now = nowUs();
      // Every update due by now is published from its own macrotask, as
      // updates arriving on separate connections would be: work a server
      // defers to the end of a tick (`process.nextTick`, as node:http's
      // per-write cork does) runs between two updates; work it defers to a
      // later turn of the event loop (`setImmediate`) may cover several.
      while (scheduled < count) {
        const dueUs = startUs + scheduled * periodUs;
        if (dueUs > now) break;
        setImmediate(publishOne, startSeq + scheduled, dueUs);
        scheduled++;
      }
      if (scheduled < count) {
        const waitMs = (startUs + scheduled * periodUs - nowUs()) / 1000;
        setTimeout(tick, Math.max(0, waitMs));
      }
    };
    tick();
  }

  process.on('message', (raw) => {
    const command = raw as ServerCommand;
    try {
      switch (command.type) {
        case 'publish':
          publishRun(
            command.rate,
            command.count,
            command.startSeq,
            command.payloadSize,
            command.stamp === 'call',
          );
          break;
        case 'stats':
          send({ type: 'stats', stats: stats(command.gc) });
          break;
        case 'exit':
          process.exit(0);
          break;
        default:
          server.command?.(command);
      }
    } catch (error) {
      send({ type: 'error', message: String(error) });
    }
  });
  // The driver owns this process: when it goes away, so do we.
  process.on('disconnect', () => process.exit(0));
}
