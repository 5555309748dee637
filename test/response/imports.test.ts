/**
 * Import rules for src/response, checked on the source text:
 * - only `protocol` among ssehub's parts (DESIGN.md);
 * - nothing from express or fastify, not even types, so users without them compile;
 * - only types from `node:` modules, so `ssehub/server` loads where node's
 *   modules do not exist (the Fetch adapter on edge runtimes).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from '../helpers/source-files.js';

const root = fileURLToPath(new URL('../../src/response', import.meta.url));

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+'([^']+)'/gm;

void describe('src/response imports', () => {
  const files = sourceFiles(root);

  void it('finds the sources', () => {
    assert.ok(files.length > 5);
  });

  for (const file of files) {
    void it(relative(root, file), () => {
      const text = readFileSync(file, 'utf8');
      for (const [statement, , typeOnly, specifier = ''] of text.matchAll(IMPORT)) {
        assert.ok(!/^(express|fastify)(\/|$)/.test(specifier), statement);
        if (specifier.startsWith('node:')) assert.ok(typeOnly, `runtime node import: ${statement}`);
        if (specifier.startsWith('.')) {
          const target = join(file, '..', specifier);
          const inServer = !relative(root, target).startsWith('..');
          const inProtocol = !relative(join(root, '../protocol'), target).startsWith('..');
          assert.ok(inServer || inProtocol, `imports outside server/protocol: ${statement}`);
        }
      }
    });
  }
});
