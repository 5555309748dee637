/**
 * The HTTP publisher of the Redis benchmarks: POSTs updates to the Mercure
 * publish API (`application/x-www-form-urlencoded`: `topic`, `id`, `data`;
 * `Authorization: Bearer <publisher JWT>`), as a Mercure publisher does,
 * through node:http with a keep-alive `http.Agent`.
 *
 * - `schedule`: a steady rate, open loop (a request goes out when it is due,
 *   answered or not), over `connections` keep-alive connections. Each
 *   payload carries the time its request was started (µs, CLOCK_MONOTONIC,
 *   bench/fanout/clock.ts): publish-to-receive latency, waiting for a free
 *   connection included. The timer's lag behind the schedule is reported
 *   apart.
 * - `flood`: `concurrency` connections in a closed loop (each sends its next
 *   request once the previous one was answered): the publish rate a hub
 *   takes, and the request → response times.
 *
 * Driven over IPC by `bench/redis/run.ts` and `bench/redis/scale.ts`.
 */
import { Agent, request } from 'node:http';
import { nowUs } from '../fanout/clock.js';
import { createHistogram, slotOf } from '../fanout/histogram.js';
import { makePayload } from '../fanout/ipc.js';
import type { PublisherCommand, PublisherReply, PublishReport, PublishTarget } from './ipc.js';

function reply(message: PublisherReply): void {
  process.send?.(message);
}

/** POSTs one update; resolves to the status (0 for a network error) and the error text. */
function post(
  agent: Agent,
  target: PublishTarget,
  seq: number,
): Promise<{ status: number; error: string | undefined }> {
  const body = `topic=${encodeURIComponent(target.topic)}&id=${seq}&data=${encodeURIComponent(
    makePayload(seq, nowUs(), target.payloadSize),
  )}`;
  return new Promise((resolve) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${target.token}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve({ status, error: status === 200 ? undefined : `${status} ${text}` });
        });
      },
    );
    req.on('error', (error) => {
      resolve({ status: 0, error: error.message });
    });
    req.end(body);
  });
}

function emptyReport(startSeq: number): PublishReport {
  return {
    ok: 0,
    failed: 0,
    firstError: undefined,
    nextSeq: startSeq,
    maxLagUs: 0,
    okInWindow: 0,
    windowUs: 0,
    cpuUs: 0,
    responseHistogram: [],
  };
}

const sleepUs = (us: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, us / 1000)));

async function schedule(command: Extract<PublisherCommand, { type: 'schedule' }>): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: command.connections });
  const report = emptyReport(command.startSeq);
  const histogram = createHistogram();
  const periodUs = 1e6 / command.rate;
  const startUs = nowUs();
  const pending = new Set<Promise<void>>();
  for (let k = 0; k < command.count; k++) {
    const dueUs = startUs + k * periodUs;
    // A timer fires up to ~1 ms late: that moves the request, not the
    // latency (the payload carries the request's own start time).
    const wait = dueUs - nowUs();
    if (wait > 0) await sleepUs(wait);
    const t0 = nowUs();
    report.maxLagUs = Math.max(report.maxLagUs, t0 - dueUs);
    const request = post(agent, command, report.nextSeq++).then(({ status, error }) => {
      const slot = slotOf(nowUs() - t0);
      histogram[slot] = (histogram[slot] ?? 0) + 1;
      if (status === 200) report.ok++;
      else {
        report.failed++;
        report.firstError ??= error;
      }
      pending.delete(request);
    });
    pending.add(request);
  }
  await Promise.all(pending);
  agent.destroy();
  report.responseHistogram = Array.from(histogram);
  reply({ type: 'scheduled', report });
}

async function flood(command: Extract<PublisherCommand, { type: 'flood' }>): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: command.concurrency });
  const report = emptyReport(command.startSeq);
  const histogram = createHistogram();
  const startUs = nowUs();
  const windowStartUs = startUs + command.warmupSeconds * 1e6;
  const endUs = windowStartUs + command.seconds * 1e6;
  let cpuAtWindow: NodeJS.CpuUsage | undefined;
  let windowOpenedUs = 0;
  let windowClosedUs = 0;
  let cpuUs = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const t0 = nowUs();
      if (t0 >= endUs) {
        if (windowClosedUs === 0) {
          windowClosedUs = t0;
          const cpu = process.cpuUsage(cpuAtWindow);
          cpuUs = cpu.user + cpu.system;
        }
        return;
      }
      if (cpuAtWindow === undefined && t0 >= windowStartUs) {
        cpuAtWindow = process.cpuUsage();
        windowOpenedUs = t0;
      }
      const inWindow = cpuAtWindow !== undefined;
      const { status, error } = await post(agent, command, report.nextSeq++);
      if (status === 200) {
        report.ok++;
        if (inWindow) {
          report.okInWindow++;
          const slot = slotOf(nowUs() - t0);
          histogram[slot] = (histogram[slot] ?? 0) + 1;
        }
      } else {
        report.failed++;
        report.firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  agent.destroy();
  report.windowUs = windowClosedUs - windowOpenedUs;
  report.cpuUs = cpuUs;
  report.responseHistogram = Array.from(histogram);
  reply({ type: 'flooded', report });
}

process.on('message', (raw) => {
  const command = raw as PublisherCommand;
  const fail = (error: unknown): void => {
    reply({ type: 'error', message: String(error) });
  };
  switch (command.type) {
    case 'schedule':
      schedule(command).catch(fail);
      break;
    case 'flood':
      flood(command).catch(fail);
      break;
    case 'exit':
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
