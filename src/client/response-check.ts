/**
 * Whether a response can be read as an event stream, and the typed error when
 * it cannot.
 *
 * [spec] "Otherwise, if res's status is not 200, or if res's `Content-Type` is
 * not `text/event-stream`, then fail the connection."
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
export function mimeEssence(contentType: string | null): string {
  if (contentType === null) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
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
  const body = response.body;
  if (body === null) return '';
  if (!isQuotable(mimeEssence(response.headers.get('content-type')))) {
    body.cancel().catch(() => undefined);
    return '';
  }
  const reader = body.getReader();
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
    reader.cancel().catch(() => undefined);
  }
  // Control characters (a hostile body could carry terminal escapes) become spaces.
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}

/**
 * Returns `undefined` when `response` is a 200 `text/event-stream`, otherwise
 * the error that fails the connection (after cancelling the body):
 * `SSE_ERR_HTTP_STATUS` (with the start of a short text body in the message)
 * or `SSE_ERR_CONTENT_TYPE`, both with `status`.
 */
export async function checkResponse(
  response: Response,
  timers: ClientTimers,
): Promise<ClientError | undefined> {
  const { status } = response;
  if (status !== 200) {
    const excerpt = await bodyExcerpt(response, timers);
    const statusLine = `HTTP ${status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
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
    response.body?.cancel().catch(() => undefined);
    return new SseError(
      'SSE_ERR_CONTENT_TYPE',
      `expected Content-Type text/event-stream, got ${contentType === null ? 'none' : JSON.stringify(contentType)}`,
      { status },
    );
  }
  return undefined;
}
