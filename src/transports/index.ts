// `ssehub/transports`: where updates travel and history lives. The memory
// transport is the hub's own default (from `ssehub/hub`, re-exported here);
// the others load their engine only from their own entry point
// (`ssehub/transports/redis`, `ssehub/transports/file`).
export {
  createMemoryTransport,
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_SIZE,
} from '../hub/memory-transport.js';
export type { MemoryTransportOptions } from '../hub/memory-transport.js';
export { updateSize } from '../hub/types.js';
export type {
  HistoryPage,
  HistoryQuery,
  Position,
  Transport,
  TransportHistoryStats,
  TransportLatency,
  TransportListener,
  Update,
} from '../hub/types.js';
