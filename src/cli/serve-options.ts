/**
 * `ssehub serve`'s flags → the hub server's options, the transport, the
 * workers and the development setup. Every flag is checked here, before
 * anything starts; a bad value is a `UsageError` naming the flag.
 */
import { checkSymbols, MIN_INTERVAL, type DemoOptions } from '../demo/index.js';
import type { HubServerOptions } from '../hub-server/index.js';
import {
  JWT_ALGORITHMS,
  MERCURE_PROTOCOLS,
  signToken,
  type JwtAlgorithm,
} from '../mercure/index.js';
import { resolveMercureOptions } from '../mercure/options.js';
import type { DevSetup } from './announce.js';
import {
  booleanFlag,
  choiceFlag,
  integerFlag,
  listFlag,
  parseFlags,
  stringFlag,
  UsageError,
  type ParsedFlags,
} from './flags.js';
import { DEV_JWT_KEY, readKeyFlag } from './keys.js';
import { LOG_LEVELS, SERVE_FLAGS } from './serve-flags.js';
import { readTlsFiles } from './tls.js';
import { transportChoice, type TransportChoice } from './serve-transport.js';
import { flaskSseChoice, type FlaskSseChoice } from './serve-flask-sse.js';

/** Builds the server options from the flags; throws UsageError on bad values. */
export async function buildOptions(
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
      flaskSse: FlaskSseChoice | undefined;
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
  const subscriptionsFlag = flags.values.subscriptions;
  const subscriptions = typeof subscriptionsFlag === 'boolean' ? subscriptionsFlag : dev;

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
        alg: publisherJwtAlg,
        keyIsDefault,
      };
    }
  }
  // A missing key is reported after every value given has been checked: a
  // bad --port is what to fix first, whatever else is missing.
  let missing =
    publisherJwtKey === undefined
      ? 'a publisher key is required: set --jwt-key or --publisher-jwt-key (or SSEHUB_JWT_KEY), or use --dev'
      : subscriberJwtKey === undefined && !anonymous
        ? 'subscribers need a key: set --jwt-key or --subscriber-jwt-key, or allow --anonymous'
        : undefined;
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
    corsOrigins,
    publishOrigins: publishOrigins.includes('*') ? '*' : publishOrigins,
    cookieName: stringFlag(flags, 'cookie-name'),
    protocol: choiceFlag(flags, 'protocol', MERCURE_PROTOCOLS),
    issuers: listFlag(flags, 'issuer'),
    resourceIdentifier: stringFlag(flags, 'resource-identifier'),
    clockTolerance: clockToleranceRaw === undefined ? undefined : clockTolerance,
    historySize: integerFlag(flags, 'history-size', 1),
    historyBytes: integerFlag(flags, 'history-bytes', 1),
    heartbeatInterval: heartbeat === undefined ? undefined : heartbeat === 0 ? false : heartbeat,
    maxDataBytes: integerFlag(flags, 'max-data-bytes', 1),
    maxTopics: integerFlag(flags, 'max-topics', 1),
    maxSubscribers: integerFlag(flags, 'max-subscribers', 1),
    headersTimeout: integerFlag(flags, 'headers-timeout', 0, 2 ** 31 - 1),
    requestTimeout: integerFlag(flags, 'request-timeout', 0, 2 ** 31 - 1),
    maxConnections:
      stringFlag(flags, 'max-connections')?.trim() === 'auto'
        ? 'auto'
        : integerFlag(flags, 'max-connections', 0),
    maxConnectionsPerAddress: integerFlag(flags, 'max-connections-per-address', 0),
    metricsToken: stringFlag(flags, 'metrics-token'),
    metricsListen: addressFlag(flags, 'metrics-listen'),
    devTokens: devSetup?.tokens,
    subscriptions,
    subscriptionsLeaseInterval: integerFlag(flags, 'subscriptions-lease', 10, 3_600_000),
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
  // Without Redis each worker's subscription registry holds its own
  // subscribers only: a list answered by one worker would miss the others'.
  if (workers > 1 && transport.kind !== 'redis' && options.subscriptions === true) {
    if (subscriptionsFlag === true) {
      throw new UsageError(
        `${flags.label('subscriptions')} with ${flags.label('workers')} ${workers} needs a Redis --transport: with the ${transport.kind} transport each worker would list only its own subscribers`,
      );
    }
    options.subscriptions = false; // --dev's default, not asked for
  }
  const flaskSse = flaskSseChoice(flags);
  if (missing === undefined && flaskSse?.route.auth === 'jwt' && subscriberJwtKey === undefined) {
    missing = `${flags.label('flask-sse-auth')} jwt needs a subscriber key: set --jwt-key or --subscriber-jwt-key`;
  }
  options.flaskSse = flaskSse?.route;
  const port = integerFlag(flags, 'port', 0, 65535) ?? 3000;
  const host = stringFlag(flags, 'host') ?? 'localhost';
  // A name or an address as node's listen() takes it: no brackets, no port, no scheme.
  if (!/^[\w.:%-]+$/.test(host)) {
    throw new UsageError(
      `${flags.label('host')} must be a host name or an IP address (no brackets, port or scheme: 127.0.0.1, ::1, 0.0.0.0), got "${host}"`,
    );
  }
  const logLevel = choiceFlag(flags, 'log-level', LOG_LEVELS) ?? 'info';
  if (missing !== undefined) {
    // The values the http layer checks (origins, cookie name, issuers…) come first too.
    resolveMercureOptions({ ...options, anonymous: true });
    throw new UsageError(missing);
  }
  return {
    help: false,
    options,
    flaskSse,
    transport,
    workers,
    devTls,
    demoOptions,
    port,
    host,
    logLevel,
    dev: devSetup,
  };
}

/** A `host:port` flag (`[::1]:9090` for IPv6), or undefined. */
function addressFlag(flags: ParsedFlags, name: string): { host: string; port: number } | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new UsageError(
      `${flags.label(name)} must be host:port (e.g. 127.0.0.1:9090, [::1]:9090), got "${raw}"`,
    );
  }
  return { host: match[1] ?? (match[2] as string), port };
}

/** The demo publishers' options from `--demo-*` (0 turns one off). */
function demoFlags(flags: ParsedFlags): DemoOptions {
  // Checked here, with the other values, before a missing key is reported.
  const interval = (name: string): number | false | undefined => {
    const value = integerFlag(flags, name, 0, 2 ** 31 - 1);
    if (value !== undefined && value !== 0 && value < MIN_INTERVAL) {
      throw new UsageError(
        `${flags.label(name)} must be 0 (off) or at least ${MIN_INTERVAL} (ms), got "${value}"`,
      );
    }
    return value === 0 ? false : value;
  };
  // Repeatable, and a comma-separated list works on the command line too.
  const symbols = listFlag(flags, 'demo-symbols').flatMap((v) =>
    v
      .split(',')
      .map((symbol) => symbol.trim())
      .filter((symbol) => symbol !== ''),
  );
  if (symbols.length > 0) checkSymbols(symbols);
  return {
    symbols: symbols.length > 0 ? symbols : undefined,
    priceInterval: interval('demo-price-interval'),
    monitorInterval: interval('demo-monitor-interval'),
    notificationInterval: interval('demo-notification-interval'),
  };
}
