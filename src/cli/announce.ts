/**
 * What `ssehub serve` says when it is ready: the `listening on` line (last:
 * tools wait for it) and, in development mode, the banner with a token and a
 * curl line to publish with.
 */
import type { Logger } from 'pino';
import type { DevTokens } from '../hub-server/index.js';

/** What `--dev` adds: keys, tokens and the banner. */
export interface DevSetup {
  tokens: DevTokens;
  key: string;
  /** The algorithm of `key` (the publisher's). */
  alg: string;
  keyIsDefault: boolean;
}

/**
 * The curl lines of the banner; with a self-signed certificate
 * (`--dev-tls`), `--cacert` names it, so they work as printed.
 */
function curlLines(
  hubUrl: string,
  dev: DevSetup,
  cacert: string | undefined,
): { publish: string; subscribe: string } {
  const ca = cacert === undefined ? '' : ` --cacert '${cacert}'`;
  return {
    publish: `curl${ca} -d 'topic=https://example.com/demo' -d 'data=hello' -H 'Authorization: Bearer ${dev.tokens.publisherToken}' ${hubUrl}`,
    subscribe: `curl${ca} -N '${hubUrl}?topic=*'`,
  };
}

function devBanner(url: string, hubUrl: string, dev: DevSetup, cacert: string | undefined): string {
  const curl = curlLines(hubUrl, dev, cacert);
  return [
    '',
    'ssehub development mode: do not expose this server.',
    `  page:            ${url}`,
    `  hub:             ${hubUrl}`,
    `  JWT key (${dev.alg}): ${dev.key}${dev.keyIsDefault ? '  (the well-known development key)' : ''}`,
    `  publisher JWT:   ${dev.tokens.publisherToken}`,
    '',
    'Publish:',
    `  ${curl.publish}`,
    'Subscribe:',
    `  ${curl.subscribe}`,
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
 * development mode, the banner with a token and a curl line (`cacert`: the
 * development certificate of `--dev-tls`, for curl to trust).
 */
export function announce(
  logger: Logger,
  host: string,
  port: number,
  secure: boolean,
  dev: DevSetup | undefined,
  details: Record<string, unknown>,
  cacert?: string,
): void {
  const url = formatUrl(host, port, secure);
  const hubUrl = new URL('.well-known/mercure', url).href;
  if (dev !== undefined) {
    const curl = curlLines(hubUrl, dev, cacert).publish;
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
    process.stderr.write(devBanner(url, hubUrl, dev, cacert));
  }
  logger.info(
    { url, hub: hubUrl, port, host, ...details, dev: dev !== undefined, pid: process.pid },
    `listening on ${url}`,
  );
}
