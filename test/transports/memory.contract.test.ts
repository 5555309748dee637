/** The transport contract, run against the memory transport. */
import { createMemoryTransport } from '../../src/hub/memory-transport.js';
import { transportContract } from './contract.js';

transportContract({
  name: 'memory transport',
  factory: ({ historySize, historyBytes }) =>
    Promise.resolve(createMemoryTransport({ historySize, historyBytes })),
});
