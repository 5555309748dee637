/**
 * `ssehub token`: mints a Mercure JWT for development and tests.
 */
import { JWT_ALGORITHMS, signToken, type JwtAlgorithm } from '../mercure/index.js';
import {
  booleanFlag,
  choiceFlag,
  listFlag,
  parseFlags,
  renderHelp,
  stringFlag,
  UsageError,
  type FlagSpec,
} from './flags.js';
import { DEV_JWT_KEY, readKeyFlag, usageFromOptionError } from './keys.js';

/** The flags of `ssehub token`. */
export const TOKEN_FLAGS: readonly FlagSpec[] = [
  {
    name: 'jwt-key',
    type: 'string',
    value: '<key>',
    description:
      'Signing key: the HMAC secret, or a PEM private key (text or path) for RS*/PS*/ES*',
  },
  {
    name: 'jwt-alg',
    type: 'string',
    value: '<alg>',
    default: 'HS256',
    description: `Algorithm (${JWT_ALGORITHMS.join(', ')})`,
  },
  {
    name: 'publish',
    type: 'string',
    multiple: true,
    value: '<selector>',
    env: false,
    description: 'Topic selector the bearer may publish to (mercure.publish); * for all',
  },
  {
    name: 'subscribe',
    type: 'string',
    multiple: true,
    value: '<selector>',
    env: false,
    description: 'Topic selector of private updates the bearer may receive (mercure.subscribe)',
  },
  {
    name: 'payload',
    type: 'string',
    value: '<json>',
    env: false,
    description: 'mercure.payload, as JSON',
  },
  {
    name: 'expires-in',
    type: 'string',
    value: '<span>',
    env: false,
    description: 'Lifetime: seconds or a span such as 30m, 1h, 7d (default: no expiry)',
  },
  {
    name: 'dev',
    type: 'boolean',
    env: false,
    description: `Sign with the development key of ssehub serve --dev ("${DEV_JWT_KEY}")`,
  },
  { name: 'help', type: 'boolean', short: 'h', env: false, description: 'Show this help' },
];

const USAGE = `Usage: ssehub token (--jwt-key <key> | --dev) [--publish <selector>]... [--subscribe <selector>]... [options]

Prints a JWT carrying a "mercure" claim, for development and tests.`;

/** Runs `ssehub token`; prints the token. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const flags = parseFlags(TOKEN_FLAGS, argv, env);
    if (booleanFlag(flags, 'help')) {
      process.stdout.write(renderHelp(USAGE, TOKEN_FLAGS));
      return 0;
    }
    const alg = choiceFlag<JwtAlgorithm>(flags, 'jwt-alg', JWT_ALGORITHMS) ?? 'HS256';
    // A given key is checked (PEM file read, HMAC length); the development key is taken as is.
    const keyFlag = stringFlag(flags, 'jwt-key');
    const key =
      keyFlag !== undefined
        ? readKeyFlag(keyFlag, alg, flags.label('jwt-key'))
        : booleanFlag(flags, 'dev')
          ? DEV_JWT_KEY
          : undefined;
    if (key === undefined) throw new UsageError('--jwt-key (or --dev) is required');
    const payloadText = stringFlag(flags, 'payload');
    let payload: unknown;
    if (payloadText !== undefined) {
      try {
        payload = JSON.parse(payloadText);
      } catch {
        throw new UsageError(`--payload must be JSON, got ${JSON.stringify(payloadText)}`);
      }
    }
    const publish = listFlag(flags, 'publish');
    const subscribe = listFlag(flags, 'subscribe');
    for (const name of ['publish', 'subscribe'] as const) {
      if ((name === 'publish' ? publish : subscribe).includes('')) {
        throw new UsageError(`--${name} must not be empty (a topic selector; * for all)`);
      }
    }
    let token: string;
    try {
      token = await signToken({
        key,
        alg,
        publish: publish.length > 0 ? publish : undefined,
        subscribe: subscribe.length > 0 ? subscribe : undefined,
        payload,
        expiresIn: stringFlag(flags, 'expires-in'),
      });
    } catch (error) {
      throw usageFromOptionError(error, { key: flags.label('jwt-key'), expiresIn: '--expires-in' });
    }
    process.stdout.write(`${token}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ssehub token: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
