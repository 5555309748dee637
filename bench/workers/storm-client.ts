/**
 * One process of the reconnect-storm benchmark (`storm.ts`): `concurrency`
 * clients in a closed loop, each opening a connection, sending a subscribe
 * with its own bearer token (a `GET` of the hub with `Authorization`), reading
 * the response head, checking it is a `200`, then closing and starting over.
 * Reports subscribes completed, failures and connect → head times.
 *
 * The work on this side is small (connect, one write, one read, close); the
 * hub's is the whole subscribe path: accept, the request head, the JWT
 * signature and claims, the selectors, the registration and the response
 * head, then the close. So the hub is what limits the rate.
 */
import { connect } from 'node:net';
import { nowUs } from '../fanout/clock.js';

interface Command {
  type: 'run';
  port: number;
  path: string;
  tokens: string[];
  concurrency: number;
  seconds: number;
  localAddresses: string[];
}

export interface StormReport {
  ok: number;
  failed: number;
  firstError: string | undefined;
  /** Connect → response head, µs, sorted sample (at most 20,000). */
  sample: number[];
  cpuUs: number;
}

function run(command: Command): Promise<StormReport> {
  const endAt = Date.now() + command.seconds * 1000;
  const report: StormReport = { ok: 0, failed: 0, firstError: undefined, sample: [], cpuUs: 0 };
  let seen = 0;
  let next = 0;
  const cpuStart = process.cpuUsage();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const i = next++;
      const token = command.tokens[i % command.tokens.length] ?? '';
      const startUs = nowUs();
      const socket = connect({
        host: '127.0.0.1',
        port: command.port,
        localAddress: command.localAddresses[i % command.localAddresses.length],
      });
      let head = '';
      let done = false;
      const finish = (error: string | undefined): void => {
        if (done) return;
        done = true;
        // A reset, not a FIN: no TIME_WAIT left on this side, whose ports
        // would run out (and make every connect search for a free one) in a
        // storm of short connections.
        socket.resetAndDestroy();
        if (error === undefined) {
          report.ok++;
          // Reservoir sample of the times.
          const us = nowUs() - startUs;
          if (report.sample.length < 20_000) report.sample.push(us);
          else {
            const j = Math.floor(Math.random() * (seen + 1));
            if (j < 20_000) report.sample[j] = us;
          }
          seen++;
        } else {
          report.failed++;
          report.firstError ??= error;
        }
        resolve();
      };
      socket.setNoDelay(true);
      socket.on('connect', () => {
        socket.write(
          `GET ${command.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        );
      });
      socket.on('data', (data: Buffer) => {
        head += data.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.slice(0, head.indexOf('\r\n'));
        finish(/^HTTP\/1\.1 200 /.test(status) ? undefined : `unexpected: ${status}`);
      });
      socket.on('error', (error) => {
        finish(error.message);
      });
      socket.on('close', () => {
        finish('closed before the head');
      });
    });
  const loop = async (): Promise<void> => {
    while (Date.now() < endAt) await one();
  };
  return Promise.all(Array.from({ length: command.concurrency }, loop)).then(() => {
    const cpu = process.cpuUsage(cpuStart);
    report.cpuUs = cpu.user + cpu.system;
    report.sample.sort((a, b) => a - b);
    return report;
  });
}

process.on('message', (raw) => {
  void run(raw as Command).then((report) => process.send?.({ type: 'report', report }));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
