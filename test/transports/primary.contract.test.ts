/**
 * The transport contract, run unchanged against a worker's transport
 * (`--workers N` without Redis): the primary serves a memory transport, and
 * a file transport, over an in-process channel that delivers each message
 * on a later turn after a JSON round trip, as the cluster's channel does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import type { Transport } from '../../src/hub/types.js';
import { createFileTransport } from '../../src/transports/file.js';
import { channelPair, connectWorkerTransport, servePrimary } from '../../src/transports/primary.js';
import { transportContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'ssehub-primary-contract-'));
let made = 0;
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The primaries' transports and channels, closed after each test. */
const primaries: (() => Promise<void>)[] = [];

async function overChannel(real: Transport): Promise<Transport> {
  const server = servePrimary(real);
  const pair = channelPair();
  server.attach(pair.primary);
  const worker = await connectWorkerTransport(pair.worker);
  primaries.push(async () => {
    server.close();
    pair.close();
    await real.close();
  });
  return worker;
}

async function closePrimaries(): Promise<void> {
  await Promise.all(primaries.splice(0).map((close) => close()));
}

transportContract({
  name: 'worker transport over a memory primary',
  factory: ({ historySize, historyBytes }) =>
    overChannel(createMemoryTransport({ historySize, historyBytes })),
  cleanup: closePrimaries,
});

transportContract({
  name: 'worker transport over a file primary',
  factory: async ({ historySize, historyBytes }) =>
    overChannel(
      await createFileTransport({ path: join(root, `store-${++made}`), historySize, historyBytes }),
    ),
  cleanup: closePrimaries,
});
