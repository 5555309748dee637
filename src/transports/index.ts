export { createMemoryTransport, DEFAULT_HISTORY_BYTES, DEFAULT_HISTORY_SIZE } from './memory.js';
export type { MemoryTransportOptions } from './memory.js';
export type { Transport, TransportHistoryStats, Update } from '../hub/types.js';
