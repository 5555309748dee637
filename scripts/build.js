/**
 * Builds dist/ (`tsc -p tsconfig.build.json`) and makes the `ssehub` bin
 * (dist/cli/main.js) executable: `npm run build`, and npm's `prepare` step,
 * which `npm ci` / `npm install` in a clone, `npm pack` and `npm publish`
 * run, so `npx ssehub …` works right after `npm ci`. tsc writes files
 * without the executable bit, and npx's link to a checkout's bin sets it
 * only when the link is made: a dist/ rebuilt from scratch needs it again.
 *
 * `--skip-without-typescript` (the prepare step): without TypeScript
 * (`npm ci --omit=dev`, as in a runtime image that copies a dist/ built
 * elsewhere) say so on one line and succeed. Other arguments go to tsc
 * (`--outDir <dir>`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const skip = args.includes('--skip-without-typescript');
const tscArgs = args.filter((arg) => arg !== '--skip-without-typescript');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch (error) {
  if (!skip) throw error;
  process.stderr.write(
    'ssehub prepare: TypeScript is not installed (--omit=dev?), dist/ not built; `npm run build` builds it\n',
  );
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...tscArgs], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
const outIndex = tscArgs.indexOf('--outDir');
const outDir = outIndex === -1 ? 'dist' : (tscArgs[outIndex + 1] ?? 'dist');
chmodSync(resolve(root, outDir, 'cli/main.js'), 0o755);
