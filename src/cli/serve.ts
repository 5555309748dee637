/**
 * `ssehub serve`: the standalone Mercure-compatible hub.
 *
 * Every option is a flag and an `SSEHUB_<UPPER_SNAKE>` environment variable
 * (the flag wins). Logs are JSON lines on stdout (pino). SIGTERM or SIGINT
 * shuts down gracefully (streams end cleanly) and exits 0.
 */
import cluster from 'node:cluster';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Transport } from '../hub/index.js';
import { DEFAULT_SYMBOLS, startDemo, type DemoOptions, type DemoTask } from '../demo/index.js';
import { isSseError } from '../protocol/sse-error.js';
import { runPrimary } from './cluster.js';
import { shutdownSignal } from './signals.js';
import { DEV_TLS_DIR_ENV, devCertificate, readTlsFiles } from './tls.js';
import { createHubServer, type DevTokens, type HubServerOptions } from '../hub-server/index.js';
import { JWT_ALGORITHMS, signToken, type JwtAlgorithm } from '../mercure/index.js';
import {
  booleanFlag,
  choiceFlag,
  integerFlag,
  listFlag,
  parseFlags,
  renderHelp,
  stringFlag,
  UsageError,
  type FlagSpec,
  type ParsedFlags,
} from './flags.js';
import { DEV_JWT_KEY, readKeyFlag, usageFromOptionError } from './keys.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
    description: 'Origin allowed to use the hub from a browser on another site, or * for any',
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
    name: 'cookie-name',
    type: 'string',
    value: '<name>',
    default: 'mercureAuthorization',
    description: 'Name of the authorization cookie',
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
      'Where updates travel and history lives: memory (one process), or a Redis URL (redis://[user:password@]host:port[/db], rediss:// for TLS) shared by every hub process',
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
    name: 'workers',
    type: 'string',
    value: '<n>',
    default: '1',
    description:
      'Processes serving the port (node:cluster), e.g. one per core; more than 1 needs a Redis --transport',
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
      'HTTPS with HTTP/2 on a throwaway self-signed certificate for localhost (written to a temporary folder, shown in the log); browsers warn about it',
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
    name: 'dev',
    type: 'boolean',
    description: `Development mode: anonymous subscribers, the well-known key "${DEV_JWT_KEY}" unless a key is given, a publish form on the page, ready-to-use tokens in the log`,
  },
  { name: 'help', type: 'boolean', short: 'h', env: false, description: 'Show this help' },
];

const USAGE = `Usage: ssehub serve [options]

Runs a Mercure-compatible hub: subscribe with GET and publish with POST on
/.well-known/mercure; /healthz, /metrics (Prometheus) and a page at /.`;

const FOOTER = `Every option can also be set with its environment variable (the flag wins);
repeatable options take a comma-separated list there.`;

/** What `--dev` adds: keys, tokens and the banner. */
interface DevSetup {
  tokens: DevTokens;
  key: string;
  keyIsDefault: boolean;
}

/** Builds the server options from the flags; throws UsageError on bad values. */
async function buildOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<
  | { help: true }
  | {
      help: false;
      options: HubServerOptions;
      port: number;
      host: string;
      logLevel: string;
      dev: DevSetup | undefined;
      transport: TransportChoice;
      workers: number;
      devTls: boolean;
      demoOptions: DemoOptions | undefined;
    }
> {
  const flags = parseFlags(SERVE_FLAGS, argv, env);
  if (booleanFlag(flags, 'help')) return { help: true };
  const dev = booleanFlag(flags, 'dev');
  const jwtAlg = choiceFlag<JwtAlgorithm>(flags, 'jwt-alg', JWT_ALGORITHMS) ?? 'HS256';
  const publisherJwtAlg = choiceFlag(flags, 'publisher-jwt-alg', JWT_ALGORITHMS) ?? jwtAlg;
  const subscriberJwtAlg = choiceFlag(flags, 'subscriber-jwt-alg', JWT_ALGORITHMS) ?? jwtAlg;
  const key = (name: string, alg: JwtAlgorithm): string | undefined => {
    const value = stringFlag(flags, name);
    return value === undefined ? undefined : readKeyFlag(value, alg, flags.label(name));
  };
  const jwtKeyRaw = stringFlag(flags, 'jwt-key');
  let publisherJwtKey =
    key('publisher-jwt-key', publisherJwtAlg) ??
    (jwtKeyRaw === undefined
      ? undefined
      : readKeyFlag(jwtKeyRaw, publisherJwtAlg, flags.label('jwt-key')));
  let subscriberJwtKey =
    key('subscriber-jwt-key', subscriberJwtAlg) ??
    (jwtKeyRaw === undefined
      ? undefined
      : readKeyFlag(jwtKeyRaw, subscriberJwtAlg, flags.label('jwt-key')));
  const anonymousFlag = flags.values.anonymous;
  const anonymous = typeof anonymousFlag === 'boolean' ? anonymousFlag : dev;

  let devSetup: DevSetup | undefined;
  if (dev) {
    const keyIsDefault = publisherJwtKey === undefined;
    if (keyIsDefault) {
      if (!publisherJwtAlg.startsWith('HS')) {
        throw new UsageError(
          `--dev with ${publisherJwtAlg} needs --jwt-key or --publisher-jwt-key`,
        );
      }
      publisherJwtKey = DEV_JWT_KEY;
      if (subscriberJwtKey === undefined && subscriberJwtAlg === publisherJwtAlg) {
        subscriberJwtKey = DEV_JWT_KEY;
      }
    }
    // Tokens can only be minted with a secret (HS*); with PEM public keys the
    // page subscribes anonymously and the banner gives no token.
    if (publisherJwtAlg.startsWith('HS') && publisherJwtKey !== undefined) {
      const publisherToken = await signToken({
        key: publisherJwtKey,
        alg: publisherJwtAlg,
        publish: ['*'],
        subscribe: ['*'],
      });
      const subscriberToken =
        subscriberJwtKey !== undefined && subscriberJwtAlg.startsWith('HS')
          ? await signToken({ key: subscriberJwtKey, alg: subscriberJwtAlg, subscribe: ['*'] })
          : undefined;
      devSetup = {
        tokens: { publisherToken, subscriberToken },
        key: publisherJwtKey,
        keyIsDefault,
      };
    }
  } else if (publisherJwtKey === undefined) {
    throw new UsageError(
      'a publisher key is required: set --jwt-key or --publisher-jwt-key (or SSEHUB_JWT_KEY), or use --dev',
    );
  }
  if (subscriberJwtKey === undefined && !anonymous) {
    throw new UsageError(
      'subscribers need a key: set --jwt-key or --subscriber-jwt-key, or allow --anonymous',
    );
  }
  const corsOrigins = listFlag(flags, 'cors-origin');
  const publishOrigins = listFlag(flags, 'publish-origin');
  const heartbeat = integerFlag(flags, 'heartbeat', 0, 2 ** 31 - 1);
  const clockToleranceRaw = stringFlag(flags, 'clock-tolerance');
  const clockTolerance = integerFlag(flags, 'clock-tolerance', 0, 3600);
  const options: HubServerOptions = {
    publisherJwtKey,
    subscriberJwtKey,
    publisherJwtAlg,
    subscriberJwtAlg,
    anonymous,
    corsOrigins: corsOrigins.includes('*') ? '*' : corsOrigins,
    publishOrigins: publishOrigins.includes('*') ? '*' : publishOrigins,
    cookieName: stringFlag(flags, 'cookie-name'),
    clockTolerance: clockToleranceRaw === undefined ? undefined : clockTolerance,
    historySize: integerFlag(flags, 'history-size', 1),
    heartbeatInterval: heartbeat === undefined ? undefined : heartbeat === 0 ? false : heartbeat,
    maxDataBytes: integerFlag(flags, 'max-data-bytes', 1),
    maxTopics: integerFlag(flags, 'max-topics', 1),
    maxSubscribers: integerFlag(flags, 'max-subscribers', 1),
    devTokens: devSetup?.tokens,
  };
  const tlsFiles = readTlsFiles(
    { path: stringFlag(flags, 'tls-cert'), label: flags.label('tls-cert') },
    { path: stringFlag(flags, 'tls-key'), label: flags.label('tls-key') },
  );
  const devTls = booleanFlag(flags, 'dev-tls');
  if (devTls && tlsFiles !== undefined) {
    throw new UsageError('--dev-tls makes its own certificate: drop --tls-cert and --tls-key');
  }
  options.tls = tlsFiles;
  const demoOptions = booleanFlag(flags, 'demo') ? demoFlags(flags) : undefined;
  const transport = transportChoice(flags);
  const workers = integerFlag(flags, 'workers', 1, 1024) ?? 1;
  if (workers > 1 && transport.kind === 'memory') {
    throw new UsageError(
      `${flags.label('workers')} ${workers} needs a shared transport: with the memory transport each process keeps its own subscribers and history, so an update published to one process would never reach the subscribers of the others. Add --transport redis://127.0.0.1:6379 (any Redis every process can reach).`,
    );
  }
  return {
    help: false,
    options,
    transport,
    workers,
    devTls,
    demoOptions,
    port: integerFlag(flags, 'port', 0, 65535) ?? 3000,
    host: stringFlag(flags, 'host') ?? 'localhost',
    logLevel: choiceFlag(flags, 'log-level', LOG_LEVELS) ?? 'info',
    dev: devSetup,
  };
}

/** The demo publishers' options from `--demo-*` (0 turns one off). */
function demoFlags(flags: ParsedFlags): DemoOptions {
  const interval = (name: string): number | false | undefined => {
    const value = integerFlag(flags, name, 0, 2 ** 31 - 1);
    return value === 0 ? false : value;
  };
  // Repeatable, and a comma-separated list works on the command line too.
  const symbols = listFlag(flags, 'demo-symbols').flatMap((v) =>
    v
      .split(',')
      .map((symbol) => symbol.trim())
      .filter((symbol) => symbol !== ''),
  );
  return {
    symbols: symbols.length > 0 ? symbols : undefined,
    priceInterval: interval('demo-price-interval'),
    monitorInterval: interval('demo-monitor-interval'),
    notificationInterval: interval('demo-notification-interval'),
  };
}

/** Where updates travel: `--transport`. */
type TransportChoice =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; shownUrl: string; keyPrefix: string | undefined };

/** The URL with its password replaced, for logs and messages. */
function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

function transportChoice(flags: ParsedFlags): TransportChoice {
  const raw = stringFlag(flags, 'transport')?.trim() ?? 'memory';
  const keyPrefix = stringFlag(flags, 'redis-key-prefix');
  if (keyPrefix !== undefined && !/^[\w:.-]{1,100}$/.test(keyPrefix)) {
    throw new UsageError(
      `${flags.label('redis-key-prefix')} must be 1 to 100 letters, digits or _ : . -, got "${keyPrefix}"`,
    );
  }
  if (raw === 'memory') {
    if (keyPrefix !== undefined) {
      throw new UsageError(`${flags.label('redis-key-prefix')} needs a Redis --transport`);
    }
    return { kind: 'memory' };
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    const shown = url === undefined ? 'a value that is not a URL' : `"${redactUrl(url)}"`;
    throw new UsageError(
      `${flags.label('transport')} must be "memory" or a redis:// or rediss:// URL, got ${shown}`,
    );
  }
  return { kind: 'redis', url: url.href, shownUrl: redactUrl(url), keyPrefix };
}

/** Option names of the http layer → the flags that set them, for error messages. */
const OPTION_FLAGS: Record<string, string> = {
  jwtKey: '--jwt-key',
  publisherJwtKey: '--publisher-jwt-key (or --jwt-key)',
  subscriberJwtKey: '--subscriber-jwt-key (or --jwt-key)',
  corsOrigins: '--cors-origin',
  publishOrigins: '--publish-origin',
  cookieName: '--cookie-name',
  historySize: '--history-size',
  maxDataBytes: '--max-data-bytes',
  maxTopics: '--max-topics',
  maxSubscribers: '--max-subscribers',
  tls: '--tls-cert / --tls-key',
  symbols: '--demo-symbols',
  priceInterval: '--demo-price-interval',
  monitorInterval: '--demo-monitor-interval',
  notificationInterval: '--demo-notification-interval',
};

function devBanner(url: string, hubUrl: string, dev: DevSetup): string {
  const topic = 'https://example.com/demo';
  return [
    '',
    'ssehub development mode: do not expose this server.',
    `  page:            ${url}`,
    `  hub:             ${hubUrl}`,
    `  JWT key (HS256): ${dev.key}${dev.keyIsDefault ? '  (the well-known development key)' : ''}`,
    `  publisher JWT:   ${dev.tokens.publisherToken}`,
    '',
    'Publish:',
    `  curl -d 'topic=${topic}' -d 'data=hello' -H 'Authorization: Bearer ${dev.tokens.publisherToken}' ${hubUrl}`,
    'Subscribe:',
    `  curl -N '${hubUrl}?topic=*'`,
    '',
  ].join('\n');
}

function formatUrl(host: string, port: number, secure: boolean): string {
  const shown =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${secure ? 'https' : 'http'}://${shown}:${port}/`;
}

/**
 * Logs the ready line (last: tools wait for `listening on`) and, in
 * development mode, the banner with a token and a curl line.
 */
function announce(
  logger: Logger,
  host: string,
  port: number,
  secure: boolean,
  dev: DevSetup | undefined,
  details: Record<string, unknown>,
): void {
  const url = formatUrl(host, port, secure);
  const hubUrl = new URL('.well-known/mercure', url).href;
  if (dev !== undefined) {
    const curl = `curl -d 'topic=https://example.com/demo' -d 'data=hello' -H 'Authorization: Bearer ${dev.tokens.publisherToken}' ${hubUrl}`;
    logger.warn(
      {
        jwtKey: dev.key,
        jwtKeyIsDevelopmentDefault: dev.keyIsDefault,
        publisherToken: dev.tokens.publisherToken,
        subscriberToken: dev.tokens.subscriberToken,
        curl,
      },
      `development mode: JWT key "${dev.key}"; publish with: ${curl}`,
    );
    process.stderr.write(devBanner(url, hubUrl, dev));
  }
  logger.info(
    { url, hub: hubUrl, port, host, ...details, dev: dev !== undefined, pid: process.pid },
    `listening on ${url}`,
  );
}

/**
 * Connects the Redis transport (rejects with `SSE_ERR_TRANSPORT_UNAVAILABLE`
 * when Redis cannot be reached at start-up). Afterwards, losing Redis is
 * logged once, and so is getting it back: meanwhile live streams stay open
 * and publishing answers 503.
 */
async function connectRedis(
  choice: Extract<TransportChoice, { kind: 'redis' }>,
  options: HubServerOptions,
  logger: Logger,
): Promise<Transport> {
  const { createRedisTransport } = await import('../transports/redis.js');
  // Set once connected: errors before that are start-up failures (thrown).
  const connected: { transport?: Transport } = {};
  let watch: NodeJS.Timeout | undefined;
  const created = await createRedisTransport({
    url: choice.url,
    keyPrefix: choice.keyPrefix,
    historySize: options.historySize,
    onError: (error) => {
      if (connected.transport === undefined || watch !== undefined) return;
      logger.error(
        { err: error, redis: choice.shownUrl },
        'Redis unreachable: publishing answers 503 until it is back; live streams stay open',
      );
      watch = setInterval(() => {
        if (connected.transport?.reachable?.() !== true) return;
        clearInterval(watch);
        watch = undefined;
        logger.info({ redis: choice.shownUrl }, 'Redis reachable again: delivery resumed');
      }, 250);
      watch.unref();
    },
  });
  connected.transport = created;
  return created;
}

/** Runs `ssehub serve`; resolves to the exit code after shutdown. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let built: Awaited<ReturnType<typeof buildOptions>>;
  try {
    built = await buildOptions(argv, env);
  } catch (error) {
    const usage = usageFromOptionError(error, OPTION_FLAGS);
    if (usage instanceof UsageError) {
      process.stderr.write(`ssehub serve: ${usage.message}\n(see ssehub serve --help)\n`);
      return 2;
    }
    throw error;
  }
  if (built.help) {
    process.stdout.write(renderHelp(USAGE, SERVE_FLAGS, FOOTER));
    return 0;
  }
  const { options, port, host, logLevel, dev, transport, workers, devTls, demoOptions } = built;
  const worker = cluster.isWorker ? cluster.worker?.id : undefined;
  const logger: Logger = pino({
    level: logLevel,
    base: worker === undefined ? { name: 'ssehub' } : { name: 'ssehub', worker },
  });
  const transportInfo =
    transport.kind === 'memory'
      ? { transport: 'memory' }
      : { transport: 'redis', redis: transport.shownUrl, keyPrefix: transport.keyPrefix };

  let tlsInfo: Record<string, unknown> = options.tls === undefined ? {} : { tls: 'files' };
  let workerEnv: NodeJS.ProcessEnv = {};
  if (devTls) {
    const certificate = await devCertificate(host, env);
    options.tls = certificate;
    workerEnv = { [DEV_TLS_DIR_ENV]: certificate.dir };
    tlsInfo = {
      tls: 'development (self-signed)',
      certificate: join(certificate.dir, 'cert.pem'),
      fingerprint: certificate.fingerprint,
    };
  }

  if (workers > 1 && cluster.isPrimary) {
    const code = await runPrimary({
      workers,
      logger,
      env: workerEnv,
      onReady: (address) => {
        announce(logger, host, address.port, options.tls !== undefined, dev, {
          ...transportInfo,
          ...tlsInfo,
          workers,
          anonymous: options.anonymous,
        });
      },
    });
    logger.flush();
    return code;
  }

  let hubServer: ReturnType<typeof createHubServer> | undefined;
  let shared: Transport | undefined;
  let demo: DemoTask | undefined;
  try {
    shared =
      transport.kind === 'redis' ? await connectRedis(transport, options, logger) : undefined;
    hubServer = createHubServer({
      ...options,
      logger,
      transport: shared,
      transportName: transport.kind,
    });
    // With --workers the first worker runs the demo (one ticker for all).
    if (demoOptions !== undefined && (worker === undefined || worker === 1)) {
      demo = startDemo(hubServer.hub, {
        ...demoOptions,
        onError: (error) => {
          logger.warn({ err: error }, 'demo publish failed');
        },
      });
    }
  } catch (error) {
    // Nothing may keep the process alive after a refusal.
    if (hubServer !== undefined) await hubServer.close();
    else await shared?.close();
    const usage = usageFromOptionError(error, OPTION_FLAGS);
    if (usage instanceof UsageError) {
      process.stderr.write(`ssehub serve: ${usage.message}\n`);
      return 2;
    }
    if (isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE')) {
      logger.fatal({ ...transportInfo, err: error.cause }, error.message);
      process.stderr.write(`ssehub serve: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  let address;
  try {
    address = await hubServer.listen(port, host);
  } catch (error) {
    logger.fatal({ err: error, port, host }, 'cannot listen');
    await hubServer.close();
    return 1;
  }
  if (worker === undefined) {
    announce(logger, host, address.port, options.tls !== undefined, dev, {
      ...transportInfo,
      ...tlsInfo,
      anonymous: options.anonymous,
    });
  } else {
    logger.info({ port: address.port, pid: process.pid }, 'worker ready');
  }

  const signal = await shutdownSignal(logger, () => process.exit(1));
  logger.info({ signal }, 'signal received: shutting down');
  demo?.stop();
  await hubServer.close();
  logger.flush();
  // Whatever still holds the event loop (a client that never closes, a
  // library timer), the process exits shortly after a clean shutdown.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
