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
 * Resolves a key flag: for `HS*` the value is the secret itself; for the
 * others, PEM text, or else the path of a PEM file.
 *
 * @throws {UsageError} naming the flag when a PEM file cannot be read.
 */
export function readKeyFlag(value: string, alg: JwtAlgorithm, label: string): string {
  if (alg.startsWith('HS')) return value;
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
