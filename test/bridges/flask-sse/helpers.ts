/**
 * Shared by the flask-sse suites that need Redis and Python: a Python
 * publisher child (`test/fixtures/flask-sse/publisher.py`: `sse.publish()`
 * in flask-sse's wire format), unique channel names, SSE readers on fetch,
 * and the skip rule (Redis or Python missing: skipped loudly, except under `CI=true`).
 */
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createParser, type ParsedEvent } from '../../../src/protocol/index.js';
import { Queue, within } from '../../hub-server/helpers.js';
import { pythonSkip, requirePython } from '../../helpers/python.js';
import { connectAdmin, REDIS_URL, skipReason } from '../../transports/redis-helpers.js';

export { REDIS_URL };

/** Modules the publisher needs: flask (app context, Flask's json) and redis. */
export const PUBLISHER_MODULES = ['flask', 'redis'];

const PUBLISHER = fileURLToPath(new URL('../../fixtures/flask-sse/publisher.py', import.meta.url));

/** The `skip` reason of a suite needing Redis and Python (`false`: it runs). */
export async function redisPythonSkip(modules = PUBLISHER_MODULES): Promise<string | false> {
  const python = pythonSkip(modules);
  if (python !== false) return python;
  const admin = await connectAdmin();
  if (admin.client !== undefined) {
    await admin.client.close();
    return false;
  }
  return skipReason(admin.reason) ?? false;
}

/** A channel name no other test (or engineer) uses. */
export function uniqueChannel(label = 'ch'): string {
  return `ssehub-test-${label}-${randomUUID()}`;
}

/** What the publisher takes: `sse.publish(...)` arguments, or raw bytes. */
export type PublishCommand =
  | {
      op: 'publish';
      channel: string;
      /** JSON source text of `data` (so `1.0`, big integers and `NaN` stay Python's). */
      data: string;
      type?: string;
      id?: string;
      retry?: string;
    }
  | { op: 'raw'; channel: string; bytes: Uint8Array | string };

/** A running Python publisher. */
export interface Publisher {
  /** Publishes; resolves to the number of Redis subscribers that got it. */
  publish(command: PublishCommand): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts `publisher.py`: `publish()` of `flask_sse_wire.py` (this project's
 * re-expression of flask-sse's wire format) by default, the example's shim
 * with `impl: 'shim'`.
 */
export function startPublisher(impl: 'wire' | 'shim' = 'wire'): Publisher {
  const python = requirePython(PUBLISHER_MODULES);
  const child: ChildProcessWithoutNullStreams = spawn(python, [PUBLISHER], {
    env: { ...process.env, REDIS_URL, FLASK_SSE_IMPL: impl },
  });
  const answers = new Queue<string>();
  let buffered = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      answers.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  const exited = once(child, 'exit');
  let chain = Promise.resolve();
  return {
    publish(command) {
      const line =
        command.op === 'raw'
          ? JSON.stringify({
              op: 'raw',
              channel: command.channel,
              hex: Buffer.from(command.bytes).toString('hex'),
            })
          : `{"op": "publish", "channel": ${JSON.stringify(command.channel)}, "data": ${command.data}${
              command.type === undefined ? '' : `, "type": ${command.type}`
            }${command.id === undefined ? '' : `, "id": ${command.id}`}${
              command.retry === undefined ? '' : `, "retry": ${command.retry}`
            }}`;
      const result = chain.then(async () => {
        child.stdin.write(line + '\n');
        const answer = await within(
          Promise.race([
            answers.next('the publisher to answer'),
            exited.then(() => {
              throw new Error(`publisher.py exited: ${stderr}`);
            }),
          ]),
          'the publisher to answer',
          15_000,
        );
        const match = /^ok (\d+)$/.exec(answer);
        if (match === null) throw new Error(`publisher.py: ${answer} ${stderr}`);
        return Number(match[1]);
      });
      chain = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.stdin.end();
      await within(exited, 'the publisher to exit', 10_000).catch(() => {
        child.kill('SIGKILL');
      });
    },
  };
}

/** Events read from an SSE response body with ssehub's WHATWG parser (the retry too). */
export interface StreamReader {
  readonly events: Queue<ParsedEvent & { retry: number | undefined }>;
  readonly all: (ParsedEvent & { retry: number | undefined })[];
  close(): void;
}

/** Reads `response`'s body as SSE until `close()`. */
export function readStream(response: Response, controller: AbortController): StreamReader {
  const events = new Queue<ParsedEvent & { retry: number | undefined }>();
  const all: (ParsedEvent & { retry: number | undefined })[] = [];
  let retry: number | undefined;
  const parser = createParser({
    onEvent: (event) => {
      const entry = { ...event, retry };
      retry = undefined;
      all.push(entry);
      events.push(entry);
    },
    onRetry: (ms) => {
      retry = ms;
    },
  });
  const body = response.body;
  if (body === null) throw new Error('no body');
  void (async () => {
    try {
      for await (const chunk of body) parser.feed(chunk);
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    all,
    close: () => {
      controller.abort();
    },
  };
}

/** Opens `url` as an SSE stream with fetch. */
export async function openStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ response: Response; reader: StreamReader }> {
  const controller = new AbortController();
  const response = await within(
    fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal }),
    `the response of ${url}`,
  );
  return { response, reader: readStream(response, controller) };
}
