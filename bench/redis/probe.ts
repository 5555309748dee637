/**
 * Preloaded into `ssehub serve` by the scale benchmark (`scale.ts`):
 *
 *   node --expose-gc --import tsx --import ./bench/redis/probe.ts src/cli/main.ts serve …
 *
 * node:cluster starts the workers with the same flags, so every process of
 * the cluster gets it. On SIGUSR2 a process runs a full GC and writes its
 * `process.memoryUsage()` to `$SSEHUB_BENCH_PROBE_DIR/<pid>.json` (written
 * aside, then renamed: a reader never sees half a file). Nothing else
 * changes: the hub runs as shipped.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SSEHUB_BENCH_PROBE_DIR;
if (dir !== undefined && dir !== '') {
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    collect?.();
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(
      `${file}.tmp`,
      JSON.stringify({ pid: process.pid, gc: collect !== undefined, ...process.memoryUsage() }),
    );
    renameSync(`${file}.tmp`, file);
  });
}
