/**
 * The clock shared by the fan-out benchmark's processes: `process.hrtime()` reads
 * CLOCK_MONOTONIC (through libuv's `uv_hrtime`), which on Linux is one
 * system-wide clock, so a timestamp taken in the server process can be compared
 * with one taken in a generator process on the same machine, at sub-µs
 * resolution. (`Date.now()` has only ms resolution; `performance.timeOrigin`
 * is fixed per process and can be off by a few ms between processes.)
 */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
