/**
 * Runs `ssehub` commands in the test's own process (their `run(argv, env)`,
 * stderr captured), for the tables of bad flag values, and checks the one
 * line a bad value gets.
 */
import assert from 'node:assert/strict';

export type Command = 'serve' | 'publish' | 'listen' | 'token';

/** 32 and 48 bytes: the shortest HS256 and HS384 secrets. */
export const KEY32 = 'k'.repeat(32);
export const KEY48 = 'k'.repeat(48);

/**
 * Runs a command in this process and captures its stderr (stdout is left
 * alone: the test runner reports on it). A run that does not end in 10 s is
 * stopped as by SIGTERM, and fails.
 */
export async function runHere(
  command: Command,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  const module = (await import(`../../src/cli/${command}.ts`)) as {
    run(argv: string[], env: NodeJS.ProcessEnv): Promise<number>;
  };
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    stderr += chunk.toString();
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const stopped = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        // A case that wrongly started a server: shut it down and fail.
        process.emit('SIGTERM', 'SIGTERM');
        resolve(-1);
      }, 10_000);
    });
    const code = await Promise.race([module.run(argv, env), stopped]);
    return { code, stderr };
  } finally {
    clearTimeout(timer);
    process.stderr.write = write;
  }
}

export function assertOneLine(command: Command, stderr: string, message: RegExp): void {
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  const [line = ''] = lines;
  assert.ok(line.startsWith(`ssehub ${command}: `), line);
  assert.doesNotMatch(line, /\bat .*:\d+:\d+/, 'no stack trace');
  assert.match(line, message);
}
