/**
 * The reading side of `probe.ts`: asks processes started with `--expose-gc`
 * and the probe preloaded for their memory after a full GC (SIGUSR2), and
 * reads what each wrote to `dir`. Used by the Redis scale run and the
 * workers benchmark.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProbedMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** Each process's memory after a full GC, in the order of `pids`. */
export async function probeMemory(dir: string, pids: readonly number[]): Promise<ProbedMemory[]> {
  return Promise.all(
    pids.map(async (pid) => {
      const file = join(dir, `${pid}.json`);
      if (existsSync(file)) unlinkSync(file);
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(50);
      const m = JSON.parse(readFileSync(file, 'utf8')) as ProbedMemory & { gc: boolean };
      if (!m.gc) throw new Error('the hub processes run without --expose-gc');
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
    }),
  );
}
