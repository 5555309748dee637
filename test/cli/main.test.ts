import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname];
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

void test('ssehub --version prints the package version', async () => {
  const { stdout } = await run(process.execPath, [...cli, '--version']);
  assert.equal(stdout, `${pkg.version}\n`);
});

void test('ssehub --help prints usage and exits 0', async () => {
  const { stdout } = await run(process.execPath, [...cli, '--help']);
  assert.match(stdout, /^Usage: ssehub <command>/m);
});

void test('an unknown command exits 2 and names the command', async () => {
  await assert.rejects(run(process.execPath, [...cli, 'frobnicate']), (error: unknown) => {
    const e = error as { code: number; stderr: string };
    assert.equal(e.code, 2);
    assert.match(e.stderr, /unknown command "frobnicate"/);
    return true;
  });
});

void test('the package declares the ssehub bin', () => {
  assert.equal(pkg.bin.ssehub, './dist/cli/main.js');
});
