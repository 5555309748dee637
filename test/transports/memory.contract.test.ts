/** The transport contract, run against the memory transport. */
import { createMemoryTransport } from '../../src/transports/memory.js';
import { transportContract } from './contract.js';

transportContract({
  name: 'memory transport',
  factory: ({ historySize }) => Promise.resolve(createMemoryTransport({ historySize })),
});
