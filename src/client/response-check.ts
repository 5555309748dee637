/**
 * Whether a response can be read as an event stream, and the typed error when
 * it cannot.
 *
 * [spec] "Otherwise, if res's status is not 200, or if res's `Content-Type` is
 * not `text/event-stream`, then fail the connection."
 *
 * A custom `fetch` may resolve with anything, so nothing about the response is
 * trusted: a value that is not a `Response`, a body that is not a web
 * `ReadableStream` (node-fetch hands back a Node stream) or no body at all
 * fails the connection with `SSE_ERR_INVALID_RESPONSE`, and a body the client
 * will not read is released without a throw or a rejection escaping.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#dom-eventsource
 */
import { SseError } from '../protocol/sse-error.js';
import type { ClientError } from './errors.js';
import type { ClientTimers } from './options.js';

/** Bytes of an error body read for the message; the rest is cancelled. */
const EXCERPT_BYTES = 1024;
/** Characters of the error body kept in the message. */
const EXCERPT_CHARS = 200;
/** How long the client waits for an error body before failing without it. */
const EXCERPT_WAIT_MS = 1000;

/**
 * The MIME type essence of a `Content-Type` value: parameters dropped,
 * whitespace trimmed, lower-cased (`Text/Event-Stream; charset=utf-8` →
 * `text/event-stream`).
 */
export function mimeEssence(contentType: string | null | undefined): string {
  if (typeof contentType !== 'string') return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Calls `fn`, swallowing a synchronous throw and a rejection of the promise it
 * returns: for clean-up (`cancel()`, `destroy()`) whose failure changes
 * nothing.
 */
export function quietly(fn: () => unknown): void {
  try {
    const result = fn();
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // Nothing to do: the body is being dropped anyway.
  }
}

/** Whether `body` is (shaped as) a web `ReadableStream`, which the client reads with `getReader()`. */
export function isWebStream(body: unknown): body is ReadableStream<Uint8Array> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { getReader?: unknown }).getReader === 'function'
  );
}

/**
 * Releases the body of a response the client will not read: a web stream is
 * cancelled, a Node stream (node-fetch) destroyed, so its socket is freed.
 * Never throws, never leaves a rejection behind.
 */
export function discardBody(body: unknown): void {
  quietly(() => {
    if (typeof body !== 'object' || body === null) return;
    const { cancel, destroy } = body as { cancel?: unknown; destroy?: unknown };
    if (typeof cancel === 'function') return (cancel as () => unknown).call(body);
    if (typeof destroy === 'function') return (destroy as () => unknown).call(body);
    return undefined;
  });
}

/** {@link discardBody} of whatever `response` is. Never throws. */
export function discardResponse(response: unknown): void {
  quietly(() => {
    if (typeof response === 'object' && response !== null) {
      discardBody((response as { body?: unknown }).body);
    }
  });
}

/** Whether an error body is short text worth quoting (plain text or JSON). */
function isQuotable(essence: string): boolean {
  return essence === 'text/plain' || essence === 'application/json' || essence.endsWith('+json');
}

/**
 * Reads up to {@link EXCERPT_BYTES} of a text error body, waiting at most
 * {@link EXCERPT_WAIT_MS}; one line, at most {@link EXCERPT_CHARS} characters.
 * Always cancels the rest of the body. Never throws.
 */
async function bodyExcerpt(response: Response, timers: ClientTimers): Promise<string> {
  const body: unknown = response.body;
  if (!isWebStream(body) || !isQuotable(mimeEssence(response.headers.get('content-type')))) {
    discardBody(body);
    return '';
  }
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = body.getReader();
  } catch {
    // Locked (read by someone else): fail without it.
    return '';
  }
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  let timer: unknown;
  const timeout = new Promise<undefined>((resolve) => {
    timer = timers.setTimeout(() => {
      resolve(undefined);
    }, EXCERPT_WAIT_MS);
  });
  try {
    while (bytes < EXCERPT_BYTES) {
      const result = await Promise.race([reader.read(), timeout]);
      if (result === undefined || result.done) break;
      bytes += result.value.byteLength;
      text += decoder.decode(result.value, { stream: true });
    }
  } catch {
    // A broken error body: fail without it.
  } finally {
    timers.clearTimeout(timer);
    quietly(() => reader.cancel());
  }
  // Control characters (a hostile body could carry terminal escapes) become spaces.
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}

function invalid(message: string, cause?: unknown): ClientError {
  return new SseError('SSE_ERR_INVALID_RESPONSE', message, cause === undefined ? {} : { cause });
}

/** Why `value` (what `fetch` resolved with) is not a `Response` the client can use, if it is not. */
function notAResponse(value: unknown): ClientError | undefined {
  if (typeof value !== 'object' || value === null) {
    return invalid(
      `fetch resolved with ${value === null ? 'null' : typeof value} instead of a Response`,
    );
  }
  const { status, headers } = value as { status?: unknown; headers?: { get?: unknown } | null };
  if (typeof status !== 'number') {
    return invalid('fetch resolved with an object without a numeric status, not a Response');
  }
  if (typeof headers?.get !== 'function') {
    return invalid('the response headers have no get() method: not a Headers object');
  }
  return undefined;
}

/**
 * Returns `undefined` when `response` is a 200 `text/event-stream` with a web
 * `ReadableStream` body, otherwise the error that fails the connection (after
 * releasing the body): `SSE_ERR_HTTP_STATUS` (with the start of a short text
 * body in the message) or `SSE_ERR_CONTENT_TYPE`, both with `status`, or
 * `SSE_ERR_INVALID_RESPONSE` when `response` cannot be read as a stream at
 * all. Never throws.
 */
export async function checkResponse(
  response: unknown,
  timers: ClientTimers,
): Promise<ClientError | undefined> {
  try {
    const shape = notAResponse(response);
    if (shape !== undefined) {
      discardResponse(response);
      return shape;
    }
    return await checkStatusAndBody(response as Response, timers);
  } catch (error) {
    // A getter that threw, a Proxy: whatever it is, it is not a Response.
    discardResponse(response);
    return invalid('the response could not be inspected (not a Response?)', error);
  }
}

async function checkStatusAndBody(
  response: Response,
  timers: ClientTimers,
): Promise<ClientError | undefined> {
  const { status } = response;
  if (status !== 200) {
    const excerpt = await bodyExcerpt(response, timers);
    const text = response.statusText;
    const statusLine = `HTTP ${status}${typeof text !== 'string' || text === '' ? '' : ` ${text}`}`;
    const detail =
      excerpt !== ''
        ? `: ${excerpt}`
        : status === 204
          ? ': the server asked the client not to reconnect'
          : '';
    return new SseError('SSE_ERR_HTTP_STATUS', `${statusLine}${detail}`, { status });
  }
  const contentType = response.headers.get('content-type');
  if (mimeEssence(contentType) !== 'text/event-stream') {
    discardBody(response.body);
    return new SseError(
      'SSE_ERR_CONTENT_TYPE',
      `expected Content-Type text/event-stream, got ${contentType === null ? 'none' : JSON.stringify(contentType)}`,
      { status },
    );
  }
  // A 200 from a network fetch always has a body (maybe empty); none, or one
  // that is not a web stream, means a fetch that cannot stream: every attempt
  // would end the same way, so the connection fails instead of reconnecting.
  const body: unknown = response.body;
  if (body === null || body === undefined) {
    return invalid(
      'the 200 text/event-stream response has no body (a fetch that does not stream?)',
    );
  }
  if (!isWebStream(body)) {
    discardBody(body);
    return invalid(
      'the response body is not a web ReadableStream (a Node stream, as node-fetch returns?): ' +
        "pass a fetch that returns WHATWG Responses, such as the global fetch or undici's",
    );
  }
  return undefined;
}
