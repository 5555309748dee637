/**
 * One store, one process: the file transport holds a lock on its folder for
 * as long as it is open, and a second opener (another `ssehub serve`, or a
 * second transport in the same process) is refused with the holder's pid.
 *
 * The lock is a listening local socket named after the folder's device and
 * inode (so a symlink or a bind mount of the same folder is the same lock):
 *
 * - Linux: an abstract socket (`\0ssehub-store-…`). The kernel frees it the
 *   moment the holder dies, SIGKILL included, and binding it is atomic: no
 *   stale lock file, no race between two starting processes.
 * - Windows: a named pipe, freed the same way.
 * - Other systems (macOS): a socket file in the temporary folder. A file
 *   left by a dead holder refuses connections; it is then removed and bound
 *   again (two processes starting at that very moment could both succeed).
 *
 * Whoever connects is told the holder's pid (one JSON line), which is how
 * the refusal names it.
 *
 * Limit: abstract sockets are per network namespace. Two containers with
 * their own network namespaces that mount the same folder do not see each
 * other's lock: give each its own folder.
 */
import { createHash } from 'node:crypto';
import { stat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A held lock. */
export interface StoreLock {
  /** Frees the lock (idempotent). */
  release(): Promise<void>;
}

/** The lock is held by another opener. */
export class StoreLockedError extends Error {
  /** The holder's pid, when it said. */
  readonly pid: number | undefined;
  constructor(pid: number | undefined) {
    super(pid === undefined ? 'held by another process' : `held by pid ${pid}`);
    this.pid = pid;
  }
}

async function socketName(dir: string): Promise<{ name: string; file: boolean }> {
  const info = await stat(dir, { bigint: true });
  const key = createHash('sha256').update(`${info.dev}:${info.ino}`).digest('hex').slice(0, 32);
  if (process.platform === 'linux') return { name: `\0ssehub-store-${key}`, file: false };
  if (process.platform === 'win32')
    return { name: `\\\\?\\pipe\\ssehub-store-${key}`, file: false };
  return { name: join(tmpdir(), `ssehub-store-${key}.sock`), file: true };
}

function listen(server: Server, name: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      resolve(error);
    };
    server.once('error', onError);
    server.listen({ path: name, exclusive: true }, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

/** Asks the holder for its pid: `undefined` when nobody answers (a stale socket file). */
function askHolder(name: string): Promise<{ answered: boolean; pid: number | undefined }> {
  return new Promise((resolve) => {
    const socket = createConnection({ path: name });
    let text = '';
    let connected = false;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      let pid: number | undefined;
      try {
        const value = (JSON.parse(text) as { pid?: unknown }).pid;
        pid = typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
      } catch {
        pid = undefined;
      }
      resolve({ answered: connected, pid });
    };
    const timer = setTimeout(done, 1000);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 1000) done();
    });
    socket.on('end', done);
    socket.on('error', done);
  });
}

/**
 * Takes the lock of the folder `dir` (which must exist).
 *
 * @throws {StoreLockedError} when another opener holds it.
 */
export async function lockStore(dir: string): Promise<StoreLock> {
  const { name, file } = await socketName(dir);
  const answer = JSON.stringify({ pid: process.pid }) + '\n';
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(answer);
  });
  let error = await listen(server, name);
  if (error?.code === 'EADDRINUSE') {
    const holder = await askHolder(name);
    if (holder.answered || !file) throw new StoreLockedError(holder.pid);
    // A socket file nobody listens on: its holder died. Take it over.
    await unlink(name).catch(() => undefined);
    error = await listen(server, name);
    if (error?.code === 'EADDRINUSE') throw new StoreLockedError((await askHolder(name)).pid);
  }
  if (error !== undefined) throw error;
  // The lock must not keep a process alive that is otherwise done.
  server.unref();
  let released: Promise<void> | undefined;
  return {
    release() {
      released ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      return released;
    },
  };
}
