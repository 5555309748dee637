/**
 * `ssehub publish`: publishes one update to any Mercure hub, exactly as a
 * Mercure publisher does (form POST with a Bearer JWT), and prints its id.
 */
import { JWT_ALGORITHMS, signToken, type JwtAlgorithm } from '../mercure/index.js';
import {
  booleanFlag,
  DEFAULT_HUB,
  choiceFlag,
  listFlag,
  parseFlags,
  renderHelp,
  stringFlag,
  tokenFlag,
  UsageError,
  type FlagSpec,
} from './flags.js';
import { readKeyFlag, usageFromOptionError } from './keys.js';

/** The flags of `ssehub publish`. */
export const PUBLISH_FLAGS: readonly FlagSpec[] = [
  {
    name: 'hub',
    type: 'string',
    value: '<url>',
    default: DEFAULT_HUB,
    description: 'URL of the hub',
  },
  {
    name: 'topic',
    type: 'string',
    multiple: true,
    short: 't',
    value: '<topic>',
    env: false,
    description: 'Topic of the update (the first is canonical, others alternates); at least one',
  },
  {
    name: 'data',
    type: 'string',
    short: 'd',
    value: '<text>',
    env: false,
    description: 'The data; "-" reads it from stdin (less one trailing newline)',
  },
  {
    name: 'id',
    type: 'string',
    value: '<id>',
    env: false,
    description: 'Update id (the hub generates one when absent)',
  },
  { name: 'type', type: 'string', value: '<type>', env: false, description: 'SSE event type' },
  {
    name: 'private',
    type: 'boolean',
    env: false,
    description: 'Deliver only to subscribers authorized for one of its topics',
  },
  {
    name: 'retry',
    type: 'string',
    value: '<ms>',
    env: false,
    description: 'Reconnection time sent with the update',
  },
  { name: 'token', type: 'string', value: '<jwt>', description: 'Publisher JWT' },
  {
    name: 'jwt-key',
    type: 'string',
    value: '<key>',
    description:
      'Instead of --token: mint a JWT allowed to publish to the given topics with this key (secret, or PEM private key text or path)',
  },
  {
    name: 'jwt-alg',
    type: 'string',
    value: '<alg>',
    default: 'HS256',
    description: 'Algorithm for --jwt-key',
  },
  { name: 'help', type: 'boolean', short: 'h', env: false, description: 'Show this help' },
];

const USAGE = `Usage: ssehub publish --topic <topic> [--data <text> | --data -] (--token <jwt> | --jwt-key <key>) [options]

Publishes one update to a Mercure hub and prints its id.`;

/**
 * `--data -`: stdin, less exactly one trailing line ending (`\n` or
 * `\r\n`), the one `echo`, a here-string or a file's last line adds; any
 * further blank lines are data.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Runs `ssehub publish`; 0 on success, 1 when the hub refused, 2 on bad usage. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let request: { hub: URL; token: string; body: URLSearchParams };
  try {
    const flags = parseFlags(PUBLISH_FLAGS, argv, env);
    if (booleanFlag(flags, 'help')) {
      process.stdout.write(renderHelp(USAGE, PUBLISH_FLAGS));
      return 0;
    }
    const hubText = stringFlag(flags, 'hub') ?? DEFAULT_HUB;
    let hub: URL;
    try {
      hub = new URL(hubText);
    } catch {
      throw new UsageError(`${flags.label('hub')} must be a URL, got "${hubText}"`);
    }
    if (hub.protocol !== 'http:' && hub.protocol !== 'https:') {
      throw new UsageError(`${flags.label('hub')} must be an http(s) URL, got "${hubText}"`);
    }
    const topics = listFlag(flags, 'topic');
    if (topics.length === 0) throw new UsageError('--topic is required');
    if (topics.includes('')) throw new UsageError('--topic must not be empty');
    const retry = stringFlag(flags, 'retry');
    if (retry !== undefined && !/^\d+$/.test(retry)) {
      throw new UsageError(`--retry must be a non-negative integer (ms), got "${retry}"`);
    }
    let token = tokenFlag(flags, 'token');
    const jwtKey = stringFlag(flags, 'jwt-key');
    if (token === undefined) {
      if (jwtKey === undefined) throw new UsageError('--token or --jwt-key is required');
      const alg = choiceFlag<JwtAlgorithm>(flags, 'jwt-alg', JWT_ALGORITHMS) ?? 'HS256';
      try {
        token = await signToken({
          key: readKeyFlag(jwtKey, alg, flags.label('jwt-key')),
          alg,
          publish: topics,
          expiresIn: '5m',
        });
      } catch (error) {
        throw usageFromOptionError(error, { key: flags.label('jwt-key') });
      }
    }
    const body = new URLSearchParams();
    for (const topic of topics) body.append('topic', topic);
    const data = stringFlag(flags, 'data');
    if (data !== undefined) body.append('data', data === '-' ? await readStdin() : data);
    for (const name of ['id', 'type'] as const) {
      const value = stringFlag(flags, name);
      if (value !== undefined) body.append(name, value);
    }
    if (retry !== undefined) body.append('retry', retry);
    if (booleanFlag(flags, 'private')) body.append('private', 'on');
    request = { hub, token, body };
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ssehub publish: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let response: Response;
  try {
    response = await fetch(request.hub, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${request.token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    process.stderr.write(
      `ssehub publish: cannot reach ${request.hub.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}\n`,
    );
    return 1;
  }
  const text = (await response.text()).trim();
  if (!response.ok) {
    process.stderr.write(`ssehub publish: ${response.status} ${text || response.statusText}\n`);
    return 1;
  }
  process.stdout.write(`${text}\n`);
  return 0;
}
