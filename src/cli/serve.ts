/**
 * `ssehub serve`: the standalone Mercure-compatible hub.
 *
 * Every option is a flag and an `SSEHUB_<UPPER_SNAKE>` environment variable
 * (the flag wins): `serve-flags.ts` lists them, `serve-options.ts` turns them
 * into options, `serve-transport.ts` connects the transport, `announce.ts`
 * says it is ready. Logs are JSON lines on stdout (pino). SIGTERM or SIGINT
 * shuts down gracefully (streams end cleanly) and exits 0. Exit 2: a bad
 * flag or variable (one line on stderr naming it); exit 1: the server could
 * not start (port in use, transport unreachable; one plain line on stderr).
 */
import cluster from 'node:cluster';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Transport } from '../hub/index.js';
import { startDemo, type DemoTask } from '../demo/index.js';
import { createHubServer } from '../hub-server/index.js';
import { isSseError } from '../protocol/sse-error.js';
import { announce } from './announce.js';
import { runPrimary } from './cluster.js';
import { renderHelp, UsageError } from './flags.js';
import { usageFromOptionError } from './keys.js';
import { listenFailure } from './listen-failure.js';
import { OPTION_FLAGS, SERVE_FLAGS, SERVE_FOOTER, SERVE_USAGE } from './serve-flags.js';
import { buildOptions } from './serve-options.js';
import { connectFile, connectRedis } from './serve-transport.js';
import { connectToPrimary, holdTransport, type PrimaryHeld } from './serve-primary.js';
import { startFlaskSse, startPrimaryFlaskSse, type RunningFlaskSse } from './serve-flask-sse.js';
import { shutdownSignal } from './signals.js';
import { DEV_TLS_DIR_ENV, devCertificate, removeOnExit } from './tls.js';

export { SERVE_FLAGS } from './serve-flags.js';

/** Runs `ssehub serve`; resolves to the exit code after shutdown. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let built: Awaited<ReturnType<typeof buildOptions>>;
  try {
    built = await buildOptions(argv, env);
  } catch (error) {
    const usage = usageFromOptionError(error, OPTION_FLAGS);
    if (usage instanceof UsageError) {
      process.stderr.write(`ssehub serve: ${usage.message}\n`);
      return 2;
    }
    throw error;
  }
  if (built.help) {
    process.stdout.write(renderHelp(SERVE_USAGE, SERVE_FLAGS, SERVE_FOOTER));
    return 0;
  }
  const { options, port, host, logLevel, dev, transport, workers, devTls, demoOptions, flaskSse } =
    built;
  const worker = cluster.isWorker ? cluster.worker?.id : undefined;
  const logger: Logger = pino({
    level: logLevel,
    base: worker === undefined ? { name: 'ssehub' } : { name: 'ssehub', worker },
  });
  const transportInfo = {
    ...(transport.kind === 'memory'
      ? { transport: 'memory' }
      : transport.kind === 'file'
        ? { transport: 'file', store: transport.path, fsync: transport.fsync ?? 'batch' }
        : { transport: 'redis', redis: transport.shownUrl, keyPrefix: transport.keyPrefix }),
    ...(flaskSse === undefined
      ? {}
      : {
          flaskSse: {
            redis: flaskSse.shownUrl,
            path: flaskSse.route.path ?? '/stream',
            auth: flaskSse.route.auth,
          },
        }),
  };

  let tlsInfo: Record<string, unknown> = options.tls === undefined ? {} : { tls: 'files' };
  let workerEnv: NodeJS.ProcessEnv = {};
  let cacert: string | undefined;
  if (devTls) {
    const certificate = await devCertificate(host, env);
    // Workers use the primary's certificate; the primary removes it.
    if (env[DEV_TLS_DIR_ENV] === undefined) removeOnExit(certificate.dir);
    options.tls = certificate;
    workerEnv = { [DEV_TLS_DIR_ENV]: certificate.dir };
    cacert = join(certificate.dir, 'cert.pem');
    tlsInfo = {
      tls: 'development (self-signed)',
      certificate: cacert,
      fingerprint: certificate.fingerprint,
    };
  }

  /** The "listening" line and the banner, with what this process serves. */
  const announceAt = (port: number, extra: Record<string, unknown>): void => {
    announce(
      logger,
      host,
      port,
      options.tls !== undefined,
      dev,
      {
        ...transportInfo,
        ...tlsInfo,
        ...extra,
        anonymous: options.anonymous,
        subscriptions: options.subscriptions === true,
      },
      cacert,
    );
  };

  if (workers > 1 && cluster.isPrimary) {
    // Without Redis the primary holds the one transport and serves it to the workers.
    let held: PrimaryHeld | undefined;
    try {
      held = await holdTransport(transport, options, logger);
    } catch (error) {
      if (!isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE')) throw error;
      logger.fatal({ ...transportInfo, err: error.cause }, error.message);
      process.stderr.write(`ssehub serve: ${error.message}\n`);
      return 1;
    }
    // With workers, the primary runs the one flask-sse bridge (see serve-flask-sse.ts).
    let primaryFlaskSse: RunningFlaskSse | undefined;
    if (flaskSse !== undefined) {
      try {
        const bridged =
          held?.transport ??
          (transport.kind === 'redis' ? await connectRedis(transport, options, logger) : undefined);
        if (bridged !== undefined) {
          primaryFlaskSse = await startPrimaryFlaskSse(flaskSse, bridged, options, logger);
        }
      } catch (error) {
        if (!isSseError(error, 'SSE_ERR_TRANSPORT_UNAVAILABLE')) throw error;
        logger.fatal({ redis: flaskSse.shownUrl, err: error.cause }, error.message);
        process.stderr.write(`ssehub serve: ${error.message}\n`);
        await held?.close();
        return 1;
      }
    }
    const code = await runPrimary({
      workers,
      logger,
      env: workerEnv,
      onFork: held?.attach,
      onReady: (address) => {
        announceAt(address.port, { workers });
      },
    });
    await primaryFlaskSse?.close();
    await held?.close();
    logger.flush();
    return code;
  }

  let hubServer: ReturnType<typeof createHubServer> | undefined;
  let shared: Transport | undefined;
  let demo: DemoTask | undefined;
  let bridge: RunningFlaskSse | undefined;
  try {
    shared =
      transport.kind === 'redis'
        ? await connectRedis(transport, options, logger)
        : worker !== undefined
          ? await connectToPrimary()
          : transport.kind === 'file'
            ? await connectFile(transport, options, logger)
            : undefined;
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
    // With --workers the primary runs the bridge; a single process runs its own.
    if (flaskSse !== undefined && worker === undefined) {
      bridge = await startFlaskSse(hubServer.hub, flaskSse, logger, hubServer.registry);
    }
  } catch (error) {
    // Nothing may keep the process alive after a refusal.
    demo?.stop();
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
    // With --workers every worker meets the same error: the first one says it.
    const plain = listenFailure(error, host, port);
    if (worker === undefined || worker === 1) {
      process.stderr.write(`ssehub serve: ${plain ?? `cannot listen: ${String(error)}`}\n`);
    }
    return 1;
  }
  const metricsAddress = hubServer.metricsAddress();
  if (metricsAddress !== undefined && (worker === undefined || worker === 1)) {
    logger.info(
      {
        metrics: `http://${options.metricsListen?.host ?? '127.0.0.1'}:${metricsAddress.port}/metrics`,
      },
      'metrics served on their own address',
    );
  }
  if (worker === undefined) {
    announceAt(address.port, {});
  } else {
    logger.info({ port: address.port, pid: process.pid }, 'worker ready');
  }

  const signal = await shutdownSignal(logger, () => process.exit(1));
  logger.info({ signal }, 'signal received: shutting down');
  demo?.stop();
  await bridge?.close();
  await hubServer.close();
  logger.flush();
  // Whatever still holds the event loop (a client that never closes, a
  // library timer), the process exits shortly after a clean shutdown.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
