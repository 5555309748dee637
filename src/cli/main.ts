#!/usr/bin/env node
/**
 * The `ssehub` command line. Each command lives in its own module and is
 * loaded only when run, so `ssehub --help` stays instant.
 */
import { readFileSync } from 'node:fs';

interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** Commands by name. Later parts of the project add theirs here. */
const commands: Record<string, Command> = {
  serve: {
    summary: 'run a Mercure-compatible hub server (ssehub serve --help)',
    run: async (argv) => (await import('./serve.js')).run(argv),
  },
  publish: {
    summary: 'publish an update to a Mercure hub and print its id',
    run: async (argv) => (await import('./publish.js')).run(argv),
  },
  listen: {
    summary: 'subscribe to a hub or an event stream and print events (ssehub listen --help)',
    run: async (argv) => (await import('./listen.js')).run(argv),
  },
  token: {
    summary: 'mint a Mercure JWT for development',
    run: async (argv) => (await import('./token.js')).run(argv),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const names = Object.keys(commands);
  const width = Math.max(8, ...names.map((n) => n.length));
  const list = names.map((n) => `  ${n.padEnd(width)}  ${commands[n]?.summary ?? ''}`).join('\n');
  return [
    'ssehub: real-time server push over Server-Sent Events',
    '',
    'Usage: ssehub <command> [options]',
    '       ssehub --help | --version',
    '',
    names.length > 0 ? `Commands:\n${list}` : 'Commands: none yet in this version.',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`ssehub: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
