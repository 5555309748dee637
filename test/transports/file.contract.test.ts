/**
 * The transport contract, run against the file transport (LMDB), one fresh
 * temporary folder per transport, deleted after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createFileTransport } from '../../src/transports/file.js';
import { transportContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'ssehub-file-contract-'));
let made = 0;

after(() => {
  rmSync(root, { recursive: true, force: true });
});

transportContract({
  name: 'file transport',
  factory: ({ historySize, historyBytes }) =>
    createFileTransport({ path: join(root, `store-${++made}`), historySize, historyBytes }),
});
