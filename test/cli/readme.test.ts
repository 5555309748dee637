/**
 * The README's table of `ssehub serve` options stays the one `--help` prints:
 * every flag, its environment variable and its default, nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { envName } from '../../src/cli/flags.js';
import { SERVE_FLAGS } from '../../src/cli/serve.js';

void test('README lists every serve flag with its variable and default', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const match = /^\| `--([a-z0-9-]+)[^`]*` +\|(.*)\|$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      rows.set(
        match[1],
        match[2].split(' | ').map((cell) => cell.trim()),
      );
    }
  }
  const documented = SERVE_FLAGS.filter((spec) => spec.name !== 'help');
  assert.deepEqual([...rows.keys()].sort(), [...documented.map((s) => s.name), 'help'].sort());
  for (const spec of documented) {
    const [env, defaultValue] = rows.get(spec.name) ?? [];
    assert.equal(env, `\`${envName(spec.name)}\``, `--${spec.name}: environment variable`);
    assert.equal(defaultValue, spec.default ?? '', `--${spec.name}: default`);
  }
});
