/**
 * src/client (and the protocol it uses) must load in a browser as plain ES
 * modules from dist/: no `node:` imports (not even types), no bare package
 * imports, relative specifiers ending in `.js`, only `client` and `protocol`
 * among ssehub's parts, and no Node globals (`Buffer`, `process`, `require`,
 * `__dirname`, `global`) in the code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from '../helpers/source-files.js';

const src = fileURLToPath(new URL('../../src', import.meta.url));

const IMPORT =
  /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/gm;
const NODE_GLOBAL = /\b(Buffer|process|require|__dirname|__filename|global|setImmediate)\b/;

/** The code without comments and string literals, for the globals check. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

for (const part of ['client', 'protocol']) {
  void describe(`src/${part} is browser-safe`, () => {
    const root = join(src, part);
    const files = sourceFiles(root);

    void it('finds the sources', () => {
      assert.ok(files.length >= 4);
    });

    for (const file of files) {
      void it(relative(src, file), () => {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(IMPORT)) {
          const specifier = match[1] ?? match[2] ?? '';
          assert.ok(!specifier.startsWith('node:'), `node: import: ${match[0]}`);
          assert.ok(specifier.startsWith('.'), `bare import: ${match[0]}`);
          assert.ok(specifier.endsWith('.js'), `specifier without .js: ${match[0]}`);
          const target = join(file, '..', specifier);
          const inside = ['client', 'protocol'].some(
            (allowed) => !relative(join(src, allowed), target).startsWith('..'),
          );
          assert.ok(inside, `imports outside client/protocol: ${match[0]}`);
          if (part === 'protocol') {
            assert.ok(
              !relative(root, target).startsWith('..'),
              `protocol imports nothing else: ${match[0]}`,
            );
          }
        }
        const global = NODE_GLOBAL.exec(codeOnly(text));
        assert.equal(global, null, `Node global in code: ${global?.[0] ?? ''}`);
      });
    }
  });
}
