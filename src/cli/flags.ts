/**
 * Command-line flags with environment-variable fallbacks, on `node:util`
 * `parseArgs`: one table per command drives parsing, `--help` and the docs.
 *
 * Precedence: a flag on the command line wins over its `SSEHUB_<UPPER_SNAKE>`
 * environment variable, which wins over the default. Repeatable flags take a
 * comma-separated list from the environment. Booleans read `1/true/yes/on`
 * and `0/false/no/off` from the environment.
 *
 * Every problem with a value is a {@link UsageError} naming the flag (or the
 * variable it came from); commands exit 2 on it.
 */
import { parseArgs } from 'node:util';

/** The hub `ssehub publish` and `ssehub listen` talk to unless told otherwise (`npm start`'s). */
export const DEFAULT_HUB = 'http://localhost:3000/.well-known/mercure';

/** A bad command line or environment value: the command exits 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One flag. */
export interface FlagSpec {
  /** Long name without dashes (`max-data-bytes`). */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder in help (`<ms>`). */
  readonly value?: string;
  readonly description: string;
  /** The default, as shown in help. */
  readonly default?: string;
  /** Whether `SSEHUB_<NAME>` is read when the flag is absent. @default true */
  readonly env?: boolean;
}

export type FlagValue = string | boolean | string[];

/** Parsed flags: values and where each came from. */
export interface ParsedFlags {
  readonly values: Readonly<Record<string, FlagValue | undefined>>;
  /** How to name a flag in a message: `--port`, or `SSEHUB_PORT` when it came from there. */
  label(name: string): string;
}

/** The environment variable of a flag: `max-data-bytes` → `SSEHUB_MAX_DATA_BYTES`. */
export function envName(flag: string): string {
  return `SSEHUB_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function envBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new UsageError(`${name} must be true or false, got "${raw}"`);
}

/**
 * Parses `argv` against `specs`, then fills absent flags from `env`.
 *
 * @throws {UsageError} on an unknown flag, a missing value, a positional
 * argument, or a bad boolean in the environment.
 */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedFlags {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
  > = {};
  for (const spec of specs) {
    options[spec.name] = {
      type: spec.type,
      ...(spec.multiple === true ? { multiple: true } : {}),
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
  }
  let parsed: Record<string, FlagValue | undefined>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
      .values as Record<string, FlagValue | undefined>;
  } catch (error) {
    // parseArgs messages name the flag ("Unknown option '--prot'"), with hints
    // on further lines (use --key=-----BEGIN… for a value starting with a dash).
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  const fromEnv = new Set<string>();
  const values: Record<string, FlagValue | undefined> = { ...parsed };
  for (const spec of specs) {
    if (values[spec.name] !== undefined || spec.env === false) continue;
    const name = envName(spec.name);
    const raw = env[name];
    if (raw === undefined) continue;
    fromEnv.add(spec.name);
    if (spec.type === 'boolean') values[spec.name] = envBoolean(name, raw.trim());
    else if (spec.multiple === true) {
      values[spec.name] = raw
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    } else values[spec.name] = raw;
  }
  return {
    values,
    label: (name) => (fromEnv.has(name) ? envName(name) : `--${name}`),
  };
}

/** Reads a string flag. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a repeatable string flag (empty when absent). */
export function listFlag(flags: ParsedFlags, name: string): string[] {
  const value = flags.values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** Reads a boolean flag (`false` when absent). */
export function booleanFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values[name] === true;
}

/**
 * Reads an integer flag within `[min, max]`.
 *
 * @throws {UsageError} naming the flag.
 */
export function integerFlag(
  flags: ParsedFlags,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${flags.label(name)} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

/**
 * Reads a token flag (`--token`): a JWT goes into an `Authorization`
 * header, so it is visible ASCII without spaces.
 *
 * @throws {UsageError} naming the flag.
 */
export function tokenFlag(flags: ParsedFlags, name: string): string | undefined {
  const raw = stringFlag(flags, name);
  if (raw !== undefined && !/^[\x21-\x7e]+$/.test(raw)) {
    throw new UsageError(
      `${flags.label(name)} must be a JWT: letters, digits and punctuation, no spaces or line breaks`,
    );
  }
  return raw;
}

/** Reads a string flag that must be one of `choices`. */
export function choiceFlag<T extends string>(
  flags: ParsedFlags,
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`${flags.label(name)} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function flagColumn(spec: FlagSpec): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  const value = spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : '';
  return `${short}--${spec.name}${value}`;
}

/** The help text: usage line(s), then one entry per flag with its variable and default. */
export function renderHelp(usage: string, specs: readonly FlagSpec[], footer = ''): string {
  const width = Math.max(...specs.map((s) => flagColumn(s).length)) + 2;
  const lines = specs.map((spec) => {
    const notes: string[] = [];
    if (spec.multiple === true) notes.push('repeatable');
    if (spec.default !== undefined) notes.push(`default: ${spec.default}`);
    if (spec.env !== false) notes.push(`env: ${envName(spec.name)}`);
    const note = notes.length > 0 ? ` [${notes.join('; ')}]` : '';
    return `  ${flagColumn(spec).padEnd(width)}${spec.description}${note}`;
  });
  return `${usage}\n\nOptions:\n${lines.join('\n')}\n${footer === '' ? '' : `\n${footer}\n`}`;
}

/** The flags as a markdown table (flag, environment variable, default, description), for the README. */
export function renderMarkdownTable(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const flag = `\`--${spec.name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}\``;
    const env = spec.env === false ? '' : `\`${envName(spec.name)}\``;
    const description =
      spec.multiple === true
        ? `${spec.description} (repeatable; env: comma-separated)`
        : spec.description;
    return `| ${flag} | ${env} | ${spec.default ?? ''} | ${description.replace(/\|/g, '\\|')} |`;
  });
  return [
    '| flag | environment variable | default | description |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
