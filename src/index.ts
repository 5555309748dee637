// The package's main entry point: the protocol core, the SSE response layer
// and the embeddable hub. Each part is also its own entry point
// (`ssehub/protocol`, `ssehub/server`, `ssehub/hub`, `ssehub/transports`).
// The standalone server (JWT, CORS, metrics) is `ssehub/http`, kept out of
// this entry so embedding the hub does not load its dependencies.
export * from './protocol/index.js';
export * from './server/index.js';
export * from './hub/index.js';
