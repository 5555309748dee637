/**
 * Every `js`/`ts` block of the README runs as the tour says: saved as a
 * module in the checkout (where `ssehub` resolves to the package itself, its
 * built `dist/`: run `npm run build` first) and run with `node`, beside
 * whatever holds port 3000. What it prints, and what its server answers, is
 * checked against the text the README states (markers: readme-blocks.ts).
 *
 * - A snippet with an `output` block must exit 0 within 20 s having printed
 *   exactly that.
 * - A snippet with a `response` block is a server: it must print
 *   `listening on <url>`; the request its prose describes (`DRIVERS`) must
 *   answer a body beginning as stated; then it is stopped.
 * - The one substitution: the client snippet talks to `npm start`'s
 *   `http://localhost:3000`; here to a `serve --dev --demo` the test starts
 *   on a free port.
 * - The Redis snippets use `REDIS_URL` (default redis://127.0.0.1:6379);
 *   without Redis they are skipped with one loud line, except with CI=true.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve, type Served } from '../cli/helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';
import { printsLike, readSnippets, startsLike, type Snippet } from './readme-blocks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const snippets = readSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));

/** Blocks not run, by name, and why. None today: every block runs. */
const SKIPPED: Record<string, string> = {};

/** Snippets that need Redis. */
const NEEDS_REDIS = new Set(['redis-transport', 'flask-sse-bridge']);
/** Key prefixes the Redis snippets write under (deleted afterwards). */
const REDIS_PREFIXES = ['tour'];
const JWT_KEY = 'a-secret-of-at-least-32-bytes-please!';

/** Snippets are saved here, inside the checkout, so `ssehub` resolves to it. */
const DIR = join(ROOT, 'test-artifacts', 'readme-snippets');
/** Each runs in its own empty working directory (the file store writes ./ssehub-data). */
const CWD = mkdtempSync(join(tmpdir(), 'ssehub-readme-'));

type Child = ChildProcessByStdio<null, Readable, Readable>;
const children = new Set<Child>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(CWD, { recursive: true, force: true });
  rmSync(DIR, { recursive: true, force: true });
});

/** Writes a snippet's module; returns its path. */
function save(name: string, code: string, lang = 'js'): string {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${name}.${lang === 'ts' ? 'mts' : 'mjs'}`);
  writeFileSync(file, code);
  return file;
}

/** Runs a module with node (tsx for TypeScript); its output as it comes. */
function run(file: string): { child: Child; stdout: () => string; stderr: () => string } {
  const args = file.endsWith('.mts') ? ['--import', 'tsx', file] : [file];
  const child = spawn(process.execPath, args, {
    cwd: CWD,
    env: { ...process.env, JWT_KEY, REDIS_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Waits until `ready()` holds, or fails after `ms` naming what it waited for. */
async function until(ready: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads a body until it begins as expected (or 10 s passed); cancels it. */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  expected: string,
): Promise<string> {
  assert.ok(body, 'a response body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timeout = setTimeout(() => void reader.cancel(), 10_000);
  try {
    while (!startsLike(text, expected)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timeout);
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

/** What a server snippet's prose asks of it: the body of that response. */
type Driver = (url: string, expected: string, snippet: Snippet) => Promise<string>;

const DRIVERS: Record<string, Driver> = {
  'node-http': async (url, expected) => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    return readBody(response.body, expected);
  },
  express: async (url, expected) => readBody((await fetch(`${url}/events`)).body, expected),
  fastify: async (url, expected) => readBody((await fetch(`${url}/events`)).body, expected),
  'serve-hub': async (url, expected) => {
    const stream = await fetch(`${url}/events?topic=news`); // headers come once subscribed
    const published = await fetch(`${url}/`);
    assert.equal(await published.text(), 'published\n');
    return readBody(stream.body, expected);
  },
  // A JSON body without a line end; the block's last line ends where its fence begins.
  'file-transport': async (url) => `${await (await fetch(`${url}/healthz`)).text()}\n`,
  'flask-sse-bridge': async (url, expected) => {
    const channel = `readme-${randomUUID()}`; // the README's "news", made unique on a shared Redis
    const stream = await fetch(`${url}/stream?channel=${channel}`);
    assert.equal(stream.status, 200);
    const admin = await connectAdmin();
    assert.ok(admin.client, admin.reason);
    try {
      await admin.client.publish(channel, '{"data": {"price": 42}, "type": "dataUpdate"}');
    } finally {
      await admin.client.close();
    }
    return readBody(stream.body, expected);
  },
};

/** The body of `await GET(new Request(…))` of the route module, through its own process. */
async function fetchRoute(snippet: Snippet, file: string, expected: string): Promise<string> {
  const runner = save(
    `${snippet.name}.run`,
    `import { GET } from './${snippet.name}.mjs';\n` +
      `const response = await GET(new Request('http://localhost/events'));\n` +
      `for await (const chunk of response.body) process.stdout.write(chunk);\n`,
  );
  assert.ok(existsSync(file));
  const child = run(runner);
  try {
    await until(() => startsLike(child.stdout(), expected), 'the route body', 10_000).catch(
      () => undefined,
    );
    return child.stdout();
  } finally {
    child.child.kill('SIGTERM');
  }
}

/** A `serve --dev --demo` standing in for `npm start` (the client snippet's hub). */
let devHub: Served | undefined;
async function npmStart(): Promise<Served> {
  devHub ??= await serve(['--dev', '--demo']);
  return devHub;
}
after(() => devHub?.child.kill('SIGTERM'));

const admin = NEEDS_REDIS.size > 0 ? await connectAdmin() : undefined;
const redisSkip = skipReason(admin?.reason);
after(async () => {
  if (admin?.client === undefined) return;
  await deletePrefixes(admin.client, [...REDIS_PREFIXES]);
  await admin.client.close();
});

void describe('README snippets', { timeout: 120_000 }, () => {
  void it('every js/ts block is marked, and every skipped one is still in the README', () => {
    // readSnippets threw at load time on an unmarked block; here: names and stale skips.
    assert.ok(snippets.size >= 12, `${snippets.size} snippets found`);
    for (const name of Object.keys(SKIPPED)) assert.ok(snippets.has(name), `${name} is skipped`);
    assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is missing: run `npm run build`');
  });

  for (const snippet of snippets.values()) {
    const skip = SKIPPED[snippet.name] ?? (NEEDS_REDIS.has(snippet.name) ? redisSkip : undefined);
    void it(`${snippet.name} (README line ${snippet.line})`, { skip }, async () => {
      let code = snippet.code;
      if (snippet.name === 'client') {
        assert.ok(code.includes('http://localhost:3000'), 'the client snippet names npm start');
        code = code.replaceAll('http://localhost:3000', (await npmStart()).base);
      }
      const file = save(snippet.name, code, snippet.lang);
      if (snippet.output !== undefined) {
        const child = run(file);
        await until(
          () => child.child.exitCode !== null || child.child.signalCode !== null,
          `${snippet.name} to exit`,
          20_000,
        );
        assert.equal(child.child.exitCode, 0, child.stderr());
        const { text, anyOrder } = snippet.output;
        assert.ok(
          printsLike(child.stdout(), text, anyOrder),
          `${snippet.name} printed:\n${child.stdout()}\nthe README says:\n${text}`,
        );
        return;
      }
      assert.ok(snippet.response, `${snippet.name}: the README states no output and no response`);
      const expected = snippet.response;
      if (snippet.name === 'fetch-route') {
        const body = await fetchRoute(snippet, file, expected);
        assert.ok(startsLike(body, expected), `body:\n${body}\nthe README says:\n${expected}`);
        return;
      }
      const driver = DRIVERS[snippet.name];
      assert.ok(driver, `${snippet.name}: no driver for its response`);
      const server = run(file);
      try {
        await until(
          () => /listening on \S+\n/.test(server.stdout()) || server.child.exitCode !== null,
          `${snippet.name} to print "listening on <url>"`,
          20_000,
        );
        const url = /listening on (\S+)\n/.exec(server.stdout())?.[1];
        assert.ok(url, `${snippet.name} exited: ${server.stderr()}`);
        const body = await driver(url.replace(/\/$/, ''), expected, snippet);
        assert.ok(startsLike(body, expected), `body:\n${body}\nthe README says:\n${expected}`);
      } finally {
        server.child.kill('SIGTERM');
      }
    });
  }
});
