/**
 * What Linux says about a process, from /proc: CPU time (any process, by
 * pid, so a benchmark can charge the processes it did not start, such as
 * `ssehub serve`'s cluster workers), resident memory and open descriptors.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU time of `pid` so far, µs (clock-tick resolution, usually 10 ms); 0 once it is gone. */
export function procCpuUs(pid: number): number {
  const { user, system } = procCpuSplitUs(pid);
  return user + system;
}

/** User and system (kernel: syscalls, and the loopback TCP work they do) CPU time of `pid`, µs. */
export function procCpuSplitUs(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) * TICK_US, system: Number(fields[12]) * TICK_US };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** Resident set size of `pid`, bytes. */
export function procRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Open file descriptors of `pid`. */
export function procFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Pids of the children of `pid`. */
export function procChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Kernel TCP totals (/proc/net/sockstat): sockets in use, and buffer memory in bytes (every socket, both ends of loopback connections; in no process's RSS). */
export function tcpSockstat(): { inUse: number; memBytes: number } {
  const line = /^TCP: (.*)$/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? '';
  const field = (name: string): number =>
    Number(new RegExp(`\\b${name} (\\d+)`).exec(line)?.[1] ?? NaN);
  return { inUse: field('inuse'), memBytes: field('mem') * 4096 };
}
