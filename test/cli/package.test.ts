/**
 * The `ssehub` bin from a clone and from the package: `npm ci` runs the
 * `prepare` script, which builds dist/ (so `npx ssehub` works right after
 * it), and `npm pack` ships dist/cli/main.js executable, with its shebang,
 * beside every file the exports map names.
 *
 * The pack and exec checks read the dist/ `npm run build` made (`npm test`
 * builds first).
 *
 * And what Ctrl-C does to `npx ssehub listen`, as the README says: the
 * terminal signals the whole process group (npm, its `sh -c`, node); listen
 * ends cleanly, and npm, interrupted itself, dies of the signal (a shell
 * shows 130).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};
const temp = mkdtempSync(join(tmpdir(), 'ssehub-package-test-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

function needDist(): void {
  assert.ok(
    existsSync(join(root, 'dist/cli/main.js')),
    'dist/cli/main.js is missing: run `npm run build` first (npm test does)',
  );
}

void describe('the ssehub bin', { timeout: 120_000 }, () => {
  void test('npm ci runs prepare, which builds dist/ with the bin executable, with its shebang', async () => {
    // npm runs `prepare` after `npm ci` / `npm install` without arguments in
    // the package's own folder (and before `npm pack`): the build, as `npm run build`.
    assert.equal(pkg.scripts.prepare, 'node scripts/build.js --skip-without-typescript');
    assert.equal(pkg.scripts.build, 'node scripts/build.js');
    const out = join(temp, 'built');
    await run('npm', ['run', 'prepare', '--silent', '--', '--outDir', out], {
      cwd: root,
      timeout: 110_000,
    });
    const bin = join(out, 'cli/main.js');
    assert.match(readFileSync(bin, 'utf8').split('\n')[0] ?? '', /^#!\/usr\/bin\/env node$/);
    // npx's link to a checkout's bin marks it executable only when the link is
    // made: a dist/ rebuilt from scratch must be executable by itself.
    assert.equal(statSync(bin).mode & 0o111, 0o111, 'the built bin is executable');
    assert.ok(existsSync(join(out, 'index.js')), 'the library entry point is built too');
  });

  void test('npm pack ships dist/cli/main.js executable, and every file the exports map names', async () => {
    needDist();
    assert.equal(pkg.bin.ssehub, './dist/cli/main.js');
    assert.ok(pkg.files.includes('dist'));
    const dest = join(temp, 'pack');
    mkdirSync(dest);
    // --ignore-scripts: pack the dist/ already built rather than rebuilding it here.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
      { cwd: root, timeout: 60_000 },
    );
    const [packed] = JSON.parse(stdout) as [{ filename: string }];
    const tarball = join(dest, packed.filename);
    const listing = (await run('tar', ['-tvzf', tarball])).stdout.split('\n');
    const mainLine = listing.find((line) => line.endsWith(' package/dist/cli/main.js'));
    assert.ok(mainLine !== undefined, 'package/dist/cli/main.js is in the tarball');
    assert.match(mainLine, /^-rwxr-xr-x /, 'the bin is executable in the tarball');
    const main = (await run('tar', ['-xzOf', tarball, 'package/dist/cli/main.js'])).stdout;
    assert.equal(main.split('\n')[0], '#!/usr/bin/env node');
    const names = new Set(listing.map((line) => line.split(' ').at(-1)));
    for (const target of Object.values(pkg.exports).flatMap((t) =>
      typeof t === 'string' ? [t] : Object.values(t),
    )) {
      assert.ok(names.has(`package/${target.replace(/^\.\//, '')}`), `${target} is packed`);
    }
  });

  void test('npx ssehub in the checkout runs the bin (npm exec links the package itself)', async () => {
    needDist();
    const { stdout } = await run('npm', ['exec', '--yes', '--', 'ssehub', '--version'], {
      cwd: root,
      timeout: 60_000,
    });
    assert.equal(stdout, `${pkg.version}\n`);
  });

  void test('Ctrl-C on npx ssehub listen: listen ends cleanly, the shell shows 130 (npm)', async () => {
    needDist();
    // A stream that stays open: one comment, then nothing.
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': open\n\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    let group: number | undefined;
    try {
      const child = spawn(
        'npm',
        ['exec', '--yes', '--', 'ssehub', 'listen', `http://127.0.0.1:${port}/`],
        {
          cwd: root,
          detached: true, // its own process group, as a terminal's foreground job
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      group = child.pid;
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('connected to') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(stderr, /ssehub listen: connected to http:\/\/127\.0\.0\.1:\d+\/ \(HTTP 200\)/);
      process.kill(-(child.pid ?? 0), 'SIGINT');
      // npm dies of the SIGINT it was sent: a shell shows 128 + 2.
      const [code, signal] = await exited;
      assert.ok(code === 130 || signal === 'SIGINT', `npm: ${String(code)} ${String(signal)}`);
      // listen itself reported nothing but its connection: no error, no stack.
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      group = undefined;
    } finally {
      // Whatever is left of the group after a failure.
      if (group !== undefined) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      server.closeAllConnections();
      server.close();
    }
  });
});
