/**
 * `ssehub token`: mints a Mercure JWT for development and tests.
 */
import {
  JWT_ALGORITHMS,
  signAccessToken,
  signToken,
  type GrantMatcher,
  type JwtAlgorithm,
} from '../mercure/index.js';
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
    name: 'format',
    type: 'string',
    value: '<kind>',
    default: 'legacy',
    env: false,
    description:
      'legacy (a "mercure" claim, pre-1.0 hubs and --protocol both) or at+jwt (a Mercure 1.0 access token: needs --issuer and --audience)',
  },
  {
    name: 'publish',
    type: 'string',
    multiple: true,
    value: '<selector>',
    env: false,
    description:
      'Topic the bearer may publish to; * for all (legacy: a URI template too; at+jwt: an exact matcher)',
  },
  {
    name: 'subscribe',
    type: 'string',
    multiple: true,
    value: '<selector>',
    env: false,
    description: 'Topic of private updates the bearer may receive (as --publish)',
  },
  {
    name: 'publish-urlpattern',
    type: 'string',
    multiple: true,
    value: '<pattern>',
    env: false,
    description: 'at+jwt: a URL Pattern the bearer may publish to',
  },
  {
    name: 'subscribe-urlpattern',
    type: 'string',
    multiple: true,
    value: '<pattern>',
    env: false,
    description: 'at+jwt: a URL Pattern of private updates the bearer may receive',
  },
  {
    name: 'issuer',
    type: 'string',
    value: '<url>',
    env: false,
    description: 'at+jwt: the iss claim (an issuer the hub trusts: its --issuer)',
  },
  {
    name: 'audience',
    type: 'string',
    value: '<url>',
    env: false,
    description:
      "at+jwt: the aud claim (the hub's resource identifier, e.g. https://hub.example/.well-known/mercure)",
  },
  {
    name: 'subject',
    type: 'string',
    value: '<sub>',
    env: false,
    description: 'The sub claim',
  },
  {
    name: 'payload',
    type: 'string',
    value: '<json>',
    env: false,
    description: 'Data about the subscriber, as JSON (legacy: mercure.payload; at+jwt: an object)',
  },
  {
    name: 'expires-in',
    type: 'string',
    value: '<span>',
    env: false,
    description:
      'Lifetime: seconds or a span such as 30m, 1h, 7d (default: legacy never expires, at+jwt 1h)',
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
       ssehub token --format at+jwt --issuer <url> --audience <url> (--jwt-key <key> | --dev) [--publish <topic>]... [--subscribe-urlpattern <pattern>]... [options]

Prints a JWT for development and tests: by default one carrying a "mercure"
claim (pre-1.0), with --format at+jwt a Mercure 1.0 access token.`;

const FORMATS = ['legacy', 'at+jwt'] as const;

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
    const format = choiceFlag(flags, 'format', FORMATS) ?? 'legacy';
    const publishPatterns = listFlag(flags, 'publish-urlpattern');
    const subscribePatterns = listFlag(flags, 'subscribe-urlpattern');
    let token: string;
    if (format === 'at+jwt') {
      const issuer = stringFlag(flags, 'issuer');
      const audience = stringFlag(flags, 'audience');
      if (issuer === undefined) throw new UsageError('--format at+jwt needs --issuer <url>');
      if (audience === undefined) throw new UsageError('--format at+jwt needs --audience <url>');
      if (
        payload !== undefined &&
        (payload === null || typeof payload !== 'object' || Array.isArray(payload))
      ) {
        throw new UsageError('--payload must be a JSON object with --format at+jwt');
      }
      const grant = (exact: string[], patterns: string[]): GrantMatcher[] | undefined => {
        const all: GrantMatcher[] = [
          ...exact,
          ...patterns.map((match) => ({ match, matchType: 'urlpattern' as const })),
        ];
        return all.length > 0 ? all : undefined;
      };
      try {
        token = await signAccessToken({
          key,
          alg,
          issuer,
          audience,
          publish: grant(publish, publishPatterns),
          subscribe: grant(subscribe, subscribePatterns),
          payload: payload as Record<string, unknown> | undefined,
          subject: stringFlag(flags, 'subject'),
          expiresIn: stringFlag(flags, 'expires-in'),
        });
      } catch (error) {
        throw usageFromOptionError(error, {
          key: flags.label('jwt-key'),
          expiresIn: '--expires-in',
        });
      }
      process.stdout.write(`${token}\n`);
      return 0;
    }
    const onlyAtJwt = {
      'publish-urlpattern': publishPatterns.length > 0,
      'subscribe-urlpattern': subscribePatterns.length > 0,
    };
    for (const name of ['issuer', 'audience']) {
      if (stringFlag(flags, name) !== undefined)
        throw new UsageError(`--${name} needs --format at+jwt`);
    }
    for (const [name, given] of Object.entries(onlyAtJwt)) {
      if (given) throw new UsageError(`--${name} needs --format at+jwt`);
    }
    try {
      token = await signToken({
        key,
        alg,
        publish: publish.length > 0 ? publish : undefined,
        subscribe: subscribe.length > 0 ? subscribe : undefined,
        payload,
        expiresIn: stringFlag(flags, 'expires-in'),
        claims: subjectClaim(stringFlag(flags, 'subject')),
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

function subjectClaim(subject: string | undefined): Record<string, unknown> | undefined {
  return subject === undefined ? undefined : { sub: subject };
}
