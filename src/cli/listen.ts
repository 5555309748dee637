/**
 * `ssehub listen`: subscribes to a Mercure hub (or any event stream) with the
 * ssehub client and prints events as they arrive, reconnecting by itself
 * (with backoff, resuming with `Last-Event-ID`).
 *
 * Output: stdout carries the events only, readable by default or one JSON
 * object per line with `--json`; connections, reconnections and errors go to
 * stderr. Exit codes: 0 after SIGINT or SIGTERM, 1 on a fatal error (the hub
 * refused: 401, 403, 404…; not an event stream; too many failed
 * reconnections), 2 on bad usage.
 */
import { once } from 'node:events';
import { connect, type SseMessage } from '../client/index.js';
import { isSseError } from '../protocol/sse-error.js';
import {
  booleanFlag,
  DEFAULT_HUB,
  integerFlag,
  listFlag,
  parseFlags,
  renderHelp,
  stringFlag,
  tokenFlag,
  UsageError,
  type FlagSpec,
} from './flags.js';

/** The flags of `ssehub listen` (the URL: the positional argument or `--hub`). */
export const LISTEN_FLAGS: readonly FlagSpec[] = [
  {
    name: 'hub',
    type: 'string',
    value: '<url>',
    // Read by hand: SSEHUB_HUB_URL, then SSEHUB_HUB (see FOOTER).
    env: false,
    description: 'URL of the hub or stream, as with ssehub publish (or give it as the argument)',
  },
  {
    name: 'topic',
    type: 'string',
    multiple: true,
    short: 't',
    value: '<topic>',
    env: false,
    description: 'Topic (or URI template) to subscribe to: a topic= parameter added to the URL',
  },
  {
    name: 'match',
    type: 'string',
    multiple: true,
    value: '<topic>',
    env: false,
    description: 'Mercure 1.0: a topic to subscribe to, matched exactly (a match= parameter)',
  },
  {
    name: 'match-urlpattern',
    type: 'string',
    multiple: true,
    value: '<pattern>',
    env: false,
    description:
      'Mercure 1.0: a URL Pattern to subscribe to, e.g. https://example.com/books/:id (a match_urlpattern= parameter)',
  },
  {
    name: 'token',
    type: 'string',
    value: '<jwt>',
    description: 'Subscriber JWT, sent as Authorization: Bearer',
  },
  {
    name: 'last-event-id',
    type: 'string',
    value: '<id>',
    env: false,
    description:
      'Resume after this event id (sent as Last-Event-ID; the hub replays what followed)',
  },
  {
    name: 'json',
    type: 'boolean',
    env: false,
    description: 'Print one JSON object per event and line (type, id, data, origin, receivedAt)',
  },
  {
    name: 'max-retries',
    type: 'string',
    value: '<n>',
    default: 'unlimited',
    env: false,
    description: 'Give up (exit 1) after this many failed reconnection attempts in a row',
  },
  { name: 'help', type: 'boolean', short: 'h', env: false, description: 'Show this help' },
];

const USAGE = `Usage: ssehub listen [<url-or-hub> | --hub <url>] [--topic <topic> | --match <topic> | --match-urlpattern <pattern>]... [--token <jwt>] [--last-event-id <id>] [--json]

Subscribes to a Mercure hub (--topic adds pre-1.0 topic= parameters, --match
and --match-urlpattern the Mercure 1.0 ones)
or to any Server-Sent Events URL, and prints events as they arrive. Reconnects
by itself with backoff; Ctrl-C (SIGINT) or SIGTERM ends it with exit code 0.`;

const FOOTER = `The URL defaults to SSEHUB_HUB_URL, then SSEHUB_HUB, then ${DEFAULT_HUB}.
Exit codes: 0 on SIGINT/SIGTERM, 1 on a fatal error (refused, not an event stream,
--max-retries reached), 2 on bad usage.`;

/**
 * Splits `argv` into flags and positional arguments, using the table to know
 * which flags take a value (`--topic x`). Everything after `--` is positional.
 */
function splitPositionals(
  specs: readonly FlagSpec[],
  argv: readonly string[],
): { flags: string[]; positionals: string[] } {
  const takesValue = new Set<string>();
  for (const spec of specs) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${spec.name}`);
    if (spec.short !== undefined) takesValue.add(`-${spec.short}`);
  }
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      flags.push(arg);
      const value = argv[i + 1];
      if (takesValue.has(arg) && value !== undefined) {
        flags.push(value);
        i++;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { flags, positionals };
}

/** The URL for logs: an `authorization` query parameter (a token) is masked. */
function shown(url: URL): string {
  if (!url.searchParams.has('authorization')) return url.href;
  const copy = new URL(url);
  copy.searchParams.set('authorization', '***');
  return copy.href;
}

/**
 * Server-sent text made safe for a terminal: control characters other than
 * tab and line feed (escape sequences could rewrite the screen) are shown as
 * `\xNN` / `\uNNNN` escapes.
 */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One event, readable: `[time] type id=…`, the data, a blank line. */
function readable(message: SseMessage, receivedAt: Date): string {
  const id = message.lastEventId === '' ? '' : ` id=${printable(message.lastEventId)}`;
  return `[${receivedAt.toISOString()}] ${printable(message.type)}${id}\n${printable(message.data)}\n\n`;
}

/** One event as one NDJSON line. */
function ndjson(message: SseMessage, receivedAt: Date): string {
  return `${JSON.stringify({
    type: message.type,
    id: message.lastEventId,
    data: message.data,
    origin: message.origin,
    receivedAt: receivedAt.toISOString(),
  })}\n`;
}

interface ListenRequest {
  url: URL;
  token: string | undefined;
  lastEventId: string | undefined;
  json: boolean;
  maxRetries: number | undefined;
}

function parseRequest(argv: string[], env: NodeJS.ProcessEnv): ListenRequest | 'help' {
  const { flags: flagArgs, positionals } = splitPositionals(LISTEN_FLAGS, argv);
  const flags = parseFlags(LISTEN_FLAGS, flagArgs, env);
  if (booleanFlag(flags, 'help')) return 'help';
  if (positionals.length > 1) {
    throw new UsageError(`one URL expected, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const hubFlag = stringFlag(flags, 'hub');
  if (hubFlag !== undefined && positionals.length > 0) {
    throw new UsageError(
      `give the URL once, as the argument or with --hub, got both: ${positionals[0] ?? ''} and --hub ${hubFlag}`,
    );
  }
  const given = positionals[0] ?? hubFlag;
  const envName = env.SSEHUB_HUB_URL !== undefined ? 'SSEHUB_HUB_URL' : 'SSEHUB_HUB';
  const envUrl = env[envName];
  const text = given ?? envUrl ?? DEFAULT_HUB;
  const source =
    hubFlag !== undefined
      ? '--hub'
      : given !== undefined
        ? 'the URL'
        : envUrl !== undefined
          ? envName
          : 'the default hub URL';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${source} must be an absolute URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} must be an http(s) URL, got "${text}"`);
  }
  const selectors: [flag: string, param: string][] = [
    ['topic', 'topic'],
    ['match', 'match'],
    ['match-urlpattern', 'match_urlpattern'],
  ];
  for (const [flag, param] of selectors) {
    for (const value of listFlag(flags, flag)) {
      if (value === '') throw new UsageError(`--${flag} must not be empty`);
      url.searchParams.append(param, value);
    }
  }
  if (!selectors.some(([, param]) => url.searchParams.has(param)) && given === undefined) {
    throw new UsageError(
      '--topic, --match or --match-urlpattern is required to subscribe to a hub (or give the URL of a stream)',
    );
  }
  const lastEventId = stringFlag(flags, 'last-event-id');
  if (lastEventId !== undefined && /[\0\r\n]/.test(lastEventId)) {
    throw new UsageError('--last-event-id must not contain NUL, CR or LF');
  }
  const maxRetriesText = stringFlag(flags, 'max-retries');
  const maxRetries =
    maxRetriesText === undefined || maxRetriesText === 'unlimited'
      ? undefined
      : integerFlag(flags, 'max-retries', 0);
  return {
    url,
    token: tokenFlag(flags, 'token'),
    lastEventId,
    json: booleanFlag(flags, 'json'),
    maxRetries,
  };
}

/** Runs `ssehub listen`; 0 after SIGINT/SIGTERM, 1 on a fatal error, 2 on bad usage. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let request: ListenRequest;
  try {
    const parsed = parseRequest(argv, env);
    if (parsed === 'help') {
      process.stdout.write(renderHelp(USAGE, LISTEN_FLAGS, FOOTER));
      return 0;
    }
    request = parsed;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ssehub listen: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const log = (line: string): void => {
    process.stderr.write(`ssehub listen: ${line}\n`);
  };
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  // A closed stdout (`| head`) ends listening as a signal does.
  const onStdoutError = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', onStdoutError);

  const where = shown(request.url);
  let opened = 0;
  const format = request.json ? ndjson : readable;
  try {
    const stream = connect(request.url, {
      signal: stop.signal,
      ...(request.token === undefined
        ? {}
        : { headers: { authorization: `Bearer ${request.token}` } }),
      ...(request.lastEventId === undefined ? {} : { lastEventId: request.lastEventId }),
      ...(request.maxRetries === undefined ? {} : { maxRetries: request.maxRetries }),
      // Backoff with jitter (1 s doubling to 30 s); the hub's retry: is the floor.
      reconnect: {},
      onOpen: (event) => {
        opened += 1;
        log(`${opened === 1 ? 'connected to' : 'reconnected to'} ${where} (HTTP ${event.status})`);
      },
      onError: (event) => {
        if (event.reconnectDelay !== undefined) {
          log(`${event.message}; reconnecting in ${event.reconnectDelay} ms`);
        }
      },
    });
    for await (const message of stream) {
      if (!process.stdout.write(format(message, new Date()))) {
        await once(process.stdout, 'drain', { signal: stop.signal }).catch(() => undefined);
      }
    }
  } catch (error) {
    if (isSseError(error)) {
      log(error.message);
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
  }
  return 0;
}
