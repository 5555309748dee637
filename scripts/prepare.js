/**
 * npm's `prepare` step: `npm ci` / `npm install` in a clone, `npm pack` and
 * `npm publish` run it. It builds dist/ (`tsc -p tsconfig.build.json`), so
 * the `ssehub` bin (dist/cli/main.js) works right after `npm ci`
 * (`npx ssehub …`), and a packed or published package carries it.
 *
 * Without TypeScript (`npm ci --omit=dev`, as in a runtime image that copies
 * a dist/ built elsewhere) there is nothing to build with: it says so on one
 * line and succeeds. Extra arguments go to tsc (`--outDir <dir>`).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(
    'ssehub prepare: TypeScript is not installed (--omit=dev?), dist/ not built; `npm run build` builds it\n',
  );
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  [tsc, '-p', 'tsconfig.build.json', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
