// `ssehub/http`: the standalone hub server, and (re-exported) the Mercure
// endpoint's parts from `ssehub/mercure`.
export { createHubServer } from './hub-server.js';
export type { DevTokens, FlaskSseRouteOptions, HubServer, HubServerOptions } from './hub-server.js';
export type { TlsOptions } from './secure-server.js';
export { createHubMetrics } from './metrics.js';
export type { HubMetrics, HubMetricsOptions, HubStatsSnapshot, NetworkStats } from './metrics.js';
export { DEFAULT_HEADERS_TIMEOUT } from './network.js';
export type { NetworkOptions } from './network.js';
export * from '../mercure/index.js';
