/**
 * Key material from the command line: an HMAC secret as given, or a PEM key
 * given as text or as the path of a PEM file.
 */
import { readFileSync } from 'node:fs';
import { isSseError } from '../protocol/sse-error.js';
import type { JwtAlgorithm } from '../mercure/index.js';
import { UsageError } from './flags.js';

/**
 * The development key of `ssehub serve --dev` and `ssehub token --dev`: the
 * same well-known secret as the Mercure hub's development setup, so a
 * Symfony, API Platform or Laravel app in development works unchanged.
 * Never use it in production: everyone knows it.
 */
export const DEV_JWT_KEY = '!ChangeThisMercureHubJWTSecretKey!';

/**
 * The shortest HMAC secret per algorithm, in bytes: RFC 7518 §3.2, "A key of
 * the same size as the hash output (for instance, 256 bits for "HS256") or
 * larger MUST be used with this algorithm."
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.2
 */
export const HMAC_MIN_BYTES: Readonly<Record<string, number>> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
};

/**
 * Resolves a key flag: for `HS*` the value is the secret itself (its UTF-8
 * bytes), at least as long as the hash output; for the others, PEM text, or
 * else the path of a PEM file.
 *
 * @throws {UsageError} naming the flag when an HMAC secret is too short or a
 * PEM file cannot be read.
 */
export function readKeyFlag(value: string, alg: JwtAlgorithm, label: string): string {
  const min = HMAC_MIN_BYTES[alg];
  if (min !== undefined) {
    // [RFC 7518 §3.2] a key of the same size as the hash output or larger MUST be used.
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < min) {
      throw new UsageError(
        `${label}: an ${alg} secret must be at least ${min} bytes (RFC 7518 §3.2: as long as the hash output), got ${bytes}; make one with: openssl rand -base64 48`,
      );
    }
    return value;
  }
  if (value.trimStart().startsWith('-----BEGIN ')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${label}: ${alg} needs a PEM key or the path of a PEM file; cannot read "${value}" (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/** Turns an `SSE_ERR_INVALID_OPTION` about a key or option into a usage error naming `label`. */
export function usageFromOptionError(error: unknown, labels: Record<string, string>): unknown {
  if (isSseError(error, 'SSE_ERR_INVALID_OPTION')) {
    const field = error.field;
    const label = field === undefined ? undefined : labels[field];
    if (label !== undefined) {
      // The option's own name is quoted at the start of the message; name the flag instead.
      return new UsageError(`${label}: ${error.message.replace(/^"[^"]+" /, '')}`);
    }
    return new UsageError(error.message);
  }
  return error;
}
