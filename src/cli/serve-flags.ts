/**
 * The flags of `ssehub serve`: names, values, defaults and help, in help
 * order (the README's flag table is checked against them), and which flag
 * sets which option of the http layer (for error messages).
 *
 * Size: one declaration per flag (the table `--help` and the README print).
 */
import { DEFAULT_SYMBOLS } from '../demo/index.js';
import { JWT_ALGORITHMS } from '../mercure/index.js';
import type { FlagSpec } from './flags.js';
import { DEV_JWT_KEY } from './keys.js';
import { NETWORK_FLAGS } from './serve-flags-network.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The flags of `ssehub serve`, in help order. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'port',
    type: 'string',
    short: 'p',
    value: '<n>',
    default: '3000',
    description: 'TCP port to listen on (0: any free port)',
  },
  {
    name: 'host',
    type: 'string',
    value: '<addr>',
    default: 'localhost',
    description: 'Address to listen on; 0.0.0.0 (or ::) in containers',
  },
  {
    name: 'jwt-key',
    type: 'string',
    value: '<key>',
    description:
      'Key verifying publisher and subscriber JWTs: the HMAC secret, or a PEM public key (text or file path) for RS*/PS*/ES*',
  },
  {
    name: 'publisher-jwt-key',
    type: 'string',
    value: '<key>',
    default: '--jwt-key',
    description: 'Key verifying publisher JWTs',
  },
  {
    name: 'subscriber-jwt-key',
    type: 'string',
    value: '<key>',
    default: '--jwt-key',
    description: 'Key verifying subscriber JWTs',
  },
  {
    name: 'jwt-alg',
    type: 'string',
    value: '<alg>',
    default: 'HS256',
    description: `JWT algorithm, the only one accepted (${JWT_ALGORITHMS.join(', ')})`,
  },
  {
    name: 'publisher-jwt-alg',
    type: 'string',
    value: '<alg>',
    default: '--jwt-alg',
    description: 'Algorithm of publisher JWTs',
  },
  {
    name: 'subscriber-jwt-alg',
    type: 'string',
    value: '<alg>',
    default: '--jwt-alg',
    description: 'Algorithm of subscriber JWTs',
  },
  {
    name: 'anonymous',
    type: 'boolean',
    default: 'false (true with --dev)',
    description: 'Let subscribers without a token receive public updates',
  },
  {
    name: 'cors-origin',
    type: 'string',
    multiple: true,
    value: '<origin>',
    default: 'none',
    description:
      'Origin allowed to use the hub from a browser on another site, with credentials (the cookie); * allows any origin without credentials',
  },
  {
    name: 'publish-origin',
    type: 'string',
    multiple: true,
    value: '<origin>',
    default: 'none',
    description: 'Origin allowed to publish with the cookie (CSRF protection), or *',
  },
  {
    name: 'protocol',
    type: 'string',
    value: '<dialect>',
    default: 'both',
    description:
      'Mercure dialects spoken: both (pre-1.0 and 1.0 clients side by side), 1.0 (the standards-track draft only) or 0.x (pre-1.0 only)',
  },
  {
    name: 'issuer',
    type: 'string',
    multiple: true,
    value: '<url>',
    default: 'none',
    description:
      'Issuer trusted for Mercure 1.0 access tokens (typ: at+jwt), verified with the keys above; repeatable',
  },
  {
    name: 'resource-identifier',
    type: 'string',
    value: '<url>',
    default: 'the URL contacted',
    description:
      "The hub's resource identifier: a 1.0 token's aud must contain it (set it in production)",
  },
  {
    name: 'cookie-name',
    type: 'string',
    value: '<name>',
    default: '__Secure-mercure_access_token (0.x: mercureAuthorization)',
    description:
      'Name of the authorization cookie; with --protocol both, mercureAuthorization is read too',
  },
  {
    name: 'clock-tolerance',
    type: 'string',
    value: '<s>',
    default: '0',
    description: 'Seconds of clock skew tolerated on JWT exp and nbf',
  },
  {
    name: 'transport',
    type: 'string',
    value: '<url>',
    default: 'memory',
    description:
      'Where updates travel and history lives: memory, file:<folder> (on disk: survives restarts), or a Redis URL (redis://[user:password@]host:port[/db], rediss://) shared by all hubs',
  },
  {
    name: 'redis-key-prefix',
    type: 'string',
    value: '<prefix>',
    default: 'ssehub',
    description:
      'Prefix of the Redis keys ({<prefix>}:updates, {<prefix>}:ids); hubs sharing a prefix share updates and history',
  },
  {
    name: 'fsync',
    type: 'string',
    value: '<mode>',
    default: 'batch',
    description:
      'With a file: --transport, how updates share disk syncs (each one is synced before its 200): batch (group commit), always (one sync per update)',
  },
  {
    name: 'history-bytes',
    type: 'string',
    value: '<n>',
    default: '16777216',
    description:
      'Bytes of updates kept for Last-Event-ID replay (with --history-size, whichever bound is hit first)',
  },
  {
    name: 'workers',
    type: 'string',
    value: '<n>',
    default: '1',
    description:
      'Processes serving the port (node:cluster), e.g. one per core; with memory or file: the primary holds the transport and serves it to the workers',
  },
  {
    name: 'history-size',
    type: 'string',
    value: '<n>',
    default: '1000',
    description: 'Updates kept for Last-Event-ID replay',
  },
  {
    name: 'heartbeat',
    type: 'string',
    value: '<ms>',
    default: '15000',
    description: 'Heartbeat interval of idle streams in ms (0: none)',
  },
  {
    name: 'max-data-bytes',
    type: 'string',
    value: '<n>',
    default: '1048576',
    description: 'Largest "data" of an update, in bytes (then 413)',
  },
  {
    name: 'max-topics',
    type: 'string',
    value: '<n>',
    default: '100',
    description: 'Most topics per update and per subscription (then 400)',
  },
  {
    name: 'max-subscribers',
    type: 'string',
    value: '<n>',
    default: '100000',
    description: 'Most subscribers at once (then 503)',
  },
  ...NETWORK_FLAGS,
  {
    name: 'tls-cert',
    type: 'string',
    value: '<file>',
    description:
      'PEM certificate (chain): serve HTTPS with HTTP/2, and HTTP/1.1 for clients without it',
  },
  {
    name: 'tls-key',
    type: 'string',
    value: '<file>',
    description: 'PEM private key of --tls-cert',
  },
  {
    name: 'dev-tls',
    type: 'boolean',
    description:
      'HTTPS with HTTP/2 on a throwaway self-signed certificate for localhost (written to a temporary folder, shown in the log, removed on exit); browsers warn about it',
  },
  {
    name: 'subscriptions',
    type: 'boolean',
    default: 'false (true with --dev)',
    description:
      "Active subscriptions: announce every subscription created and terminated (private updates of type mercure) and list them at <hub path>/subscriptions; on Redis every process lists every process's",
  },
  {
    name: 'subscriptions-lease',
    type: 'string',
    value: '<ms>',
    default: '1000',
    description:
      "With --subscriptions on Redis: how often each process renews its lease; a dead process's subscriptions are announced inactive within 3 × this",
  },
  {
    name: 'log-level',
    type: 'string',
    value: '<level>',
    default: 'info',
    description: `Log level (${LOG_LEVELS.join(', ')})`,
  },
  {
    name: 'demo',
    type: 'boolean',
    description:
      "Run the demo publishers the dashboard at / shows: simulated prices, the hub's vital signs, notifications",
  },
  {
    name: 'demo-symbols',
    type: 'string',
    multiple: true,
    value: '<symbol>',
    default: DEFAULT_SYMBOLS.join(','),
    description: 'Symbols of the demo price ticker (repeat, or separate with commas)',
  },
  {
    name: 'demo-price-interval',
    type: 'string',
    value: '<ms>',
    default: '1000',
    description: 'Milliseconds between demo price ticks (0: none)',
  },
  {
    name: 'demo-monitor-interval',
    type: 'string',
    value: '<ms>',
    default: '1000',
    description: "Milliseconds between two samples of the hub's vital signs (0: none)",
  },
  {
    name: 'demo-notification-interval',
    type: 'string',
    value: '<ms>',
    default: '20000',
    description: 'Milliseconds between demo notifications (0: none)',
  },
  {
    name: 'flask-sse',
    type: 'string',
    value: '<url>',
    description:
      'Bridge flask-sse: read what a Flask app publishes with sse.publish() on this Redis (redis://…, rediss://) and stream it at --flask-sse-path, with history and Last-Event-ID replay',
  },
  {
    name: 'flask-sse-channels',
    type: 'string',
    multiple: true,
    value: '<channel>',
    default: 'all',
    description: 'flask-sse channels to bridge (repeat, or separate with commas)',
  },
  {
    name: 'flask-sse-path',
    type: 'string',
    value: '<path>',
    default: '/stream',
    description:
      "Path of flask-sse's stream endpoint (GET <path>?channel=<name>, channel sse by default)",
  },
  {
    name: 'flask-sse-auth',
    type: 'string',
    value: '<mode>',
    default: 'anonymous',
    description:
      "anonymous (anyone may stream a channel, as with flask-sse) or jwt (a subscriber JWT allowing the channel's topic is required; updates are private)",
  },
  {
    name: 'flask-sse-topic-prefix',
    type: 'string',
    value: '<prefix>',
    default: 'flask-sse:',
    description:
      'Prefix of the topics of flask-sse channels (topic: <prefix><channel>, percent-encoded)',
  },
  {
    name: 'dev',
    type: 'boolean',
    description: `Development mode: anonymous subscribers, the well-known key "${DEV_JWT_KEY}" unless a key is given, a publish form on the page, ready-to-use tokens in the log`,
  },
  { name: 'help', type: 'boolean', short: 'h', env: false, description: 'Show this help' },
];

export const SERVE_USAGE = `Usage: ssehub serve [options]

Runs a Mercure-compatible hub: subscribe with GET and publish with POST on
/.well-known/mercure; /healthz, /metrics (Prometheus) and a page at /.`;

export const SERVE_FOOTER = `Every option can also be set with its environment variable (the flag wins);
repeatable options take a comma-separated list there.`;

/** Option names of the http layer → the flags that set them, for error messages. */
export const OPTION_FLAGS: Record<string, string> = {
  jwtKey: '--jwt-key',
  publisherJwtKey: '--publisher-jwt-key (or --jwt-key)',
  subscriberJwtKey: '--subscriber-jwt-key (or --jwt-key)',
  corsOrigins: '--cors-origin',
  publishOrigins: '--publish-origin',
  cookieName: '--cookie-name',
  protocol: '--protocol',
  issuers: '--issuer',
  resourceIdentifier: '--resource-identifier',
  historySize: '--history-size',
  historyBytes: '--history-bytes',
  maxDataBytes: '--max-data-bytes',
  maxTopics: '--max-topics',
  maxSubscribers: '--max-subscribers',
  headersTimeout: '--headers-timeout',
  requestTimeout: '--request-timeout',
  maxConnections: '--max-connections',
  maxConnectionsPerAddress: '--max-connections-per-address',
  metricsToken: '--metrics-token',
  metricsListen: '--metrics-listen',
  tls: '--tls-cert / --tls-key',
  symbols: '--demo-symbols',
  priceInterval: '--demo-price-interval',
  monitorInterval: '--demo-monitor-interval',
  notificationInterval: '--demo-notification-interval',
  'flaskSse.path': '--flask-sse-path',
  'flaskSse.auth': '--flask-sse-auth',
  'flaskSse.topicPrefix': '--flask-sse-topic-prefix',
};
