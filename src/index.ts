// The package's main entry point: the protocol core and the SSE response layer.
// Each part is also its own entry point (`ssehub/protocol`, `ssehub/server`).
export * from './protocol/index.js';
export * from './server/index.js';
