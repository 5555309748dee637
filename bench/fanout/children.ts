/**
 * Child processes of the fan-out driver: spawned pinned to a core with
 * `taskset`, talked to over IPC, and always killed when the driver ends (normal
 * exit, error, Ctrl-C).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping children`);
      killAll();
      process.exit(130);
    });
  }
}

export interface Child<Reply extends { type: string }, Command> {
  readonly process: ChildProcess;
  send(command: Command): void;
  /** The next reply of this type (replies of other types are dispatched to their own waiters). */
  next<T extends Reply['type']>(type: T, timeoutMs?: number): Promise<Extract<Reply, { type: T }>>;
  kill(): void;
}

export function startChild<Reply extends { type: string }, Command>(
  label: string,
  /** A core, or a `taskset -c` list such as `0,1`. */
  core: number | string,
  nodeArgs: readonly string[],
  script: string,
  niceness = 0,
  /** Environment variables added to this process's. */
  env: Readonly<Record<string, string>> = {},
): Child<Reply, Command> {
  hookExit();
  const nice = niceness === 0 ? [] : ['nice', '-n', String(niceness)];
  const command = ['-c', String(core), ...nice, process.execPath, ...nodeArgs, script];
  const child = spawn('taskset', command, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  const waiting = new Map<string, ((reply: Reply) => void)[]>();
  const pending = new Map<string, Reply[]>();
  let exited: string | undefined;
  const failures = new Set<(error: Error) => void>();
  child.on('message', (raw) => {
    const reply = raw as Reply;
    if (reply.type === 'error') {
      console.error(`${label}:`, reply);
      return;
    }
    const queue = waiting.get(reply.type);
    const waiter = queue?.shift();
    if (waiter) waiter(reply);
    else pending.set(reply.type, [...(pending.get(reply.type) ?? []), reply]);
  });
  child.on('exit', (code, signal) => {
    live.delete(child);
    exited = `${label} exited (code ${code}, signal ${signal})`;
    for (const fail of failures) fail(new Error(exited));
  });
  return {
    process: child,
    send(command) {
      if (child.connected) child.send(command as object);
    },
    next(type, timeoutMs = 120_000) {
      const queued = pending.get(type)?.shift();
      if (queued) return Promise.resolve(queued as Extract<Reply, { type: typeof type }>);
      if (exited !== undefined) return Promise.reject(new Error(exited));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          failures.delete(fail);
          reject(new Error(`${label}: no '${type}' reply within ${timeoutMs} ms`));
        }, timeoutMs);
        const fail = (error: Error): void => {
          clearTimeout(timer);
          reject(error);
        };
        failures.add(fail);
        const list = waiting.get(type) ?? [];
        list.push((reply) => {
          clearTimeout(timer);
          failures.delete(fail);
          resolve(reply as Extract<Reply, { type: typeof type }>);
        });
        waiting.set(type, list);
      });
    },
    kill() {
      child.kill('SIGKILL');
      live.delete(child);
    },
  };
}

/**
 * Busy and total jiffies of one CPU from /proc/stat (busy = user + nice +
 * system + irq + softirq). Interrupt time is not charged to any process: on
 * loopback it is mostly the TCP work of our own traffic.
 */
export async function readCoreTimes(
  core: number,
): Promise<{ busy: number; total: number; softirq: number; steal: number }> {
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile('/proc/stat', 'utf8'))
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`cpu${core} not in /proc/stat`);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: user + nice + system + irq + softirq,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    softirq: irq + softirq,
    steal,
  };
}
