/**
 * The import rules of DESIGN.md and docs/architecture.md, checked on the
 * source text of every part: each part imports only the parts below it, so
 * no arrow runs back up the layers. (Stricter rules per part: no runtime
 * `node:` import in `response/` — test/response/imports.test.ts — and
 * browser-safe `client/` — test/client/imports.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from './helpers/source-files.js';

const src = fileURLToPath(new URL('../src', import.meta.url));

/** Part → the parts it may import (itself always). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  protocol: [],
  response: ['protocol'],
  hub: ['protocol', 'response'],
  transports: ['protocol', 'hub'],
  mercure: ['protocol', 'response', 'hub'],
  'hub-server': ['protocol', 'response', 'hub', 'mercure', 'bridges'],
  bridges: ['protocol', 'response', 'hub', 'mercure'],
  client: ['protocol'],
  demo: ['protocol', 'hub'],
  cli: ['*'],
};

const IMPORT =
  /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s+'([^']+)'|import\('([^']+)'\)/gm;

function partOf(file: string): string {
  const rel = relative(src, file).split(sep);
  return rel.length === 1 ? '(root)' : (rel[0] as string);
}

void describe('layers: each part imports only the parts below it', () => {
  const parts = readdirSync(src, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  void it('every part has a rule', () => {
    for (const part of parts) assert.ok(part in ALLOWED, `no import rule for src/${part}`);
  });

  for (const part of parts) {
    const allowed = ALLOWED[part] ?? [];
    for (const file of sourceFiles(join(src, part))) {
      void it(relative(src, file), () => {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(IMPORT)) {
          const specifier = match[1] ?? match[2] ?? '';
          if (!specifier.startsWith('.')) continue;
          const target = partOf(join(file, '..', specifier));
          if (target === part || allowed.includes('*')) continue;
          assert.ok(
            allowed.includes(target),
            `src/${part} may import ${allowed.join(', ') || 'nothing'}, not ${target}: ${match[0].trim()}`,
          );
        }
      });
    }
  }
});
