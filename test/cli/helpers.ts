/**
 * Shared by the CLI tests: run `ssehub` commands as child processes (through
 * tsx, from the sources), and `ssehub serve` until it is ready.
 */
import { after } from 'node:test';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { within } from '../hub-server/helpers.js';

const run = promisify(execFile);
export const CLI = ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname];

/** A running `ssehub serve` child and what it logged. */
export interface Served {
  child: ChildProcess;
  base: string;
  hubUrl: string;
  logs: Record<string, unknown>[];
  stderr: () => string;
  exit: Promise<number | null>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `ssehub serve` on 127.0.0.1, port 0; resolves once it logs "listening". */
export async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    [...CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const exit = once(child, 'exit').then(([code]) => {
    children.delete(child);
    return code as number | null;
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let buffered = '';
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry.port === 'number' && String(entry.msg).startsWith('listening'))
          resolve(entry.port);
      }
    });
    void exit.then((code) => {
      reject(new Error(`serve exited with ${String(code)} before listening: ${stderr}`));
    });
  });
  const port = await within(listening, 'ssehub serve to listen', 15_000);
  const base = `http://127.0.0.1:${port}`;
  return { child, base, hubUrl: `${base}/.well-known/mercure`, logs, stderr: () => stderr, exit };
}

export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: 15_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A free TCP port on 127.0.0.1 (for a server that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
