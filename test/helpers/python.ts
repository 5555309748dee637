/**
 * Python for the flask-sse suites: a Python 3 with the Debian modules they
 * need (`python3-flask`, `python3-redis`, `python3-apscheduler`).
 *
 * Candidates: `SSEHUB_PYTHON` alone when set; else Debian's
 * `/usr/bin/python3`, then `python3` on the PATH (a pyenv or venv Python
 * usually lacks Debian's modules). Where none has the modules, a suite is skipped with one loud
 * line, except under `CI=true`, where it runs and fails (a CI that skips its
 * Python tests proves nothing; `.ci/run` installs the modules).
 */
import { spawnSync } from 'node:child_process';

const found = new Map<string, string | undefined>();
const warned = new Set<string>();

/** A Python that imports every module of `modules`, or `undefined`. */
export function findPython(modules: readonly string[]): string | undefined {
  const key = [...modules].sort().join(',');
  if (found.has(key)) return found.get(key);
  const chosen = process.env.SSEHUB_PYTHON;
  const candidates =
    chosen !== undefined && chosen !== '' ? [chosen] : ['/usr/bin/python3', 'python3'];
  let python: string | undefined;
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['-c', `import ${modules.join(', ')}`], {
      stdio: 'ignore',
      timeout: 15_000,
    });
    if (result.status === 0) {
      python = candidate;
      break;
    }
  }
  found.set(key, python);
  return python;
}

/**
 * The `skip` option of a suite needing Python with `modules`: `false` when
 * it runs (always under `CI=true`), else the reason, printed once.
 */
export function pythonSkip(modules: readonly string[]): string | false {
  if (findPython(modules) !== undefined || process.env.CI === 'true') return false;
  const reason = `no Python 3 with ${modules.join(', ')}: flask-sse tests skipped (apt-get install python3-flask python3-redis python3-apscheduler; CI=true makes this a failure)`;
  if (!warned.has(reason)) {
    warned.add(reason);
    process.stderr.write(`\n*** ${reason} ***\n\n`);
  }
  return reason;
}

/** The Python to run (throws, naming the modules, when there is none: CI without them). */
export function requirePython(modules: readonly string[]): string {
  const python = findPython(modules);
  if (python === undefined) {
    throw new Error(
      `no Python 3 with ${modules.join(', ')} (CI=true): apt-get install python3-flask python3-redis python3-apscheduler, or set SSEHUB_PYTHON`,
    );
  }
  return python;
}
