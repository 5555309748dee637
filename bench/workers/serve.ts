/**
 * Starts and stops `ssehub serve --workers N` for the worker benchmarks:
 * from the sources through tsx, as the CLI runs, in its own process group
 * (killed when the benchmark exits), on 127.0.0.1 and a free port. Resolves
 * once it listens, with the pids of the processes that serve connections
 * (the workers, or the one process). `SERVE_LOG=<file>` appends the serve's
 * log lines to that file (a refused connection says why there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeMemory } from '../redis/probe-read.js';

const tsx = import.meta.resolve('tsx');
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const probe = fileURLToPath(new URL('../redis/probe.ts', import.meta.url));

/** A running `ssehub serve`, in its own process group (killed as a group on exit). */
export interface Serve {
  child: ChildProcess;
  port: number;
  primaryPid: number;
  /** The pids that logged "worker ready" (none with one process). */
  workerPids: number[];
  /** The processes serving subscribers: the workers, or the one process. */
  servingPids: number[];
  /** Every line the serve logged. */
  log: string[];
}

let serveGroup: number | undefined;
process.on('exit', () => {
  if (serveGroup === undefined) return;
  try {
    process.kill(-serveGroup, 'SIGKILL');
  } catch {
    // already gone
  }
});

/**
 * Runs `command` (an `ssehub serve` with `--log-level info`, possibly behind
 * `nice`) and resolves once it logs that it listens and, with `workers > 1`,
 * once every worker logged "worker ready" (a worker logs it after the
 * primary heard it listen, so its line may come after the primary's).
 */
export async function launchServe(
  command: readonly string[],
  workers: number,
  probeDir?: string,
): Promise<Serve> {
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, SSEHUB_BENCH_PROBE_DIR: probeDir ?? '' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serveGroup = child.pid;
  const log: string[] = [];
  const workerPids: number[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`ssehub serve did not listen within 60 s: ${stderr}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (process.env.SERVE_LOG) appendFileSync(process.env.SERVE_LOG, chunk);
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log.push(line);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const msg = String(entry.msg);
        if (msg === 'worker ready' && typeof entry.pid === 'number') workerPids.push(entry.pid);
        if (msg.startsWith('listening') && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
        if (Number(entry.level) >= 50) console.error(`  ssehub serve: ${line}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ssehub serve exited (${String(code)}): ${stderr}`));
    });
  });
  const primaryPid = child.pid ?? 0;
  if (workers > 1) {
    for (let i = 0; i < 200 && workerPids.length < workers; i++) await sleep(50);
  }
  const servingPids = workers === 1 ? [primaryPid] : workerPids;
  return { child, port, primaryPid, workerPids, servingPids, log };
}

/**
 * `extra`: more `serve` flags. With `probeDir`, every process of the serve
 * runs with `--expose-gc` and `bench/redis/probe.ts` preloaded: on SIGUSR2
 * it writes its memory after a full GC there (see {@link memoryAfterGc}).
 */
export async function startServe(
  workers: number,
  extra: readonly string[],
  probeDir?: string,
  /** node flags for the serve processes (the workers inherit them). */
  nodeFlags: readonly string[] = [],
): Promise<Serve> {
  const serve = await launchServe(
    [
      process.execPath,
      ...nodeFlags,
      '--import',
      tsx,
      ...(probeDir === undefined ? [] : ['--expose-gc', '--import', probe]),
      main,
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--workers',
      String(workers),
      ...extra,
      '--log-level',
      'info',
    ],
    workers,
    probeDir,
  );
  if (workers > 1 && serve.workerPids.length !== workers) {
    throw new Error(`expected ${workers} "worker ready" lines, got ${serve.workerPids.length}`);
  }
  return serve;
}

export async function stopServe(serve: Serve): Promise<void> {
  const exited = new Promise((resolve) => serve.child.once('exit', resolve));
  if (serve.child.exitCode === null) serve.child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  try {
    process.kill(-serve.primaryPid, 'SIGKILL');
  } catch {
    // the group is gone
  }
  serveGroup = undefined;
}

/** RSS (bytes) of each process after a full GC, through the probe (`startServe`'s `probeDir`). */
export async function memoryAfterGc(probeDir: string, pids: readonly number[]): Promise<number[]> {
  return (await probeMemory(probeDir, pids)).map((m) => m.rss);
}
