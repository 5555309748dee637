/**
 * TLS for `ssehub serve`: `--tls-cert` and `--tls-key` (PEM files), or
 * `--dev-tls`, a throwaway self-signed certificate for local use.
 *
 * The development certificate is written to a fresh temporary folder, so
 * tools can be pointed at it (`curl --cacert <folder>/cert.pem`), and so the
 * workers of `--workers N` all serve the same one: the primary makes it and
 * hands its folder down in {@link DEV_TLS_DIR_ENV}. The process that made
 * it removes the folder, private key included, when it exits
 * ({@link removeOnExit}).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from '../hub-server/secure-server.js';
import { UsageError } from './flags.js';

/** Set by the primary for its workers: the folder of the development certificate. */
export const DEV_TLS_DIR_ENV = 'SSEHUB_INTERNAL_DEV_TLS_DIR';

/** Days the development certificate is valid. */
const DEV_CERT_DAYS = 30;

/** Reads `--tls-cert` and `--tls-key`; both or neither. */
export function readTlsFiles(
  cert: { path: string | undefined; label: string },
  key: { path: string | undefined; label: string },
): TlsOptions | undefined {
  if (cert.path === undefined && key.path === undefined) return undefined;
  if (cert.path === undefined || key.path === undefined) {
    const missing = cert.path === undefined ? cert.label : key.label;
    throw new UsageError(`TLS needs both --tls-cert and --tls-key: ${missing} is missing`);
  }
  return { cert: readPem(cert.path, cert.label), key: readPem(key.path, key.label) };
}

function readPem(path: string, label: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${label}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (!text.includes('-----BEGIN ')) {
    throw new UsageError(`${label}: "${path}" is not a PEM file (no -----BEGIN line)`);
  }
  return text;
}

/** A development certificate: its PEMs and the folder they were written to. */
export interface DevCertificate extends TlsOptions {
  readonly dir: string;
  readonly fingerprint: string;
}

/**
 * Makes (or, in a worker, reads the primary's) self-signed certificate for
 * `localhost`, 127.0.0.1, ::1 and `host`.
 */
export async function devCertificate(
  host: string,
  env: NodeJS.ProcessEnv,
): Promise<DevCertificate> {
  const inherited = env[DEV_TLS_DIR_ENV];
  if (inherited !== undefined) {
    return {
      dir: inherited,
      cert: readFileSync(join(inherited, 'cert.pem'), 'utf8'),
      key: readFileSync(join(inherited, 'key.pem'), 'utf8'),
      fingerprint: readFileSync(join(inherited, 'fingerprint.txt'), 'utf8'),
    };
  }
  const { generate } = await import('selfsigned');
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') names.add(host);
  const altNames = [...names].map((name) =>
    isIP(name) === 0 ? { type: 2 as const, value: name } : { type: 7 as const, ip: name },
  );
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + DEV_CERT_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'ssehub development' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'ssehub-dev-tls-'));
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  writeFileSync(join(dir, 'fingerprint.txt'), pems.fingerprint);
  return { dir, cert: pems.cert, key: pems.private, fingerprint: pems.fingerprint };
}

/**
 * Removes the development certificate's folder (its private key with it)
 * when this process exits: after a clean shutdown (SIGINT, SIGTERM), an
 * error or a forced exit alike. Only `kill -9` leaves it behind, in the
 * system's temporary folder.
 */
export function removeOnExit(dir: string): void {
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
}
