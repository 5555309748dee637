/**
 * Writes the answer to a subscribe request on a bare socket whose request
 * head the hub server's front door read: the stream (`createRawSseStream`),
 * a refusal (status line, the refusal's headers, its message; then the
 * connection closes), or nothing for a transient refusal (the socket is
 * destroyed, see `refusal.ts`). Translates only: every decision was made by
 * `planSubscription`.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { createRawSseStream, type RawRequestHead } from '../response/adapters/raw-socket.js';
import type { SseHeaders } from '../response/options.js';
import { REFUSAL_HEADERS, refusalBody, type Refusal } from './refusal.js';
import type { RequestView } from './subscribe-request.js';
import { startSubscription, type SubscribeOutcome } from './subscribe-core.js';

/** A raw request head as the subscribe core sees it. */
export function rawRequestView(head: RawRequestHead): RequestView {
  const headers = head.headers;
  return {
    method: head.method,
    url: head.url,
    header(name) {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
    raw: head,
    origin: typeof headers.host === 'string' ? `http://${headers.host}` : undefined,
  };
}

const UNSAFE_VALUE = /[\r\n\0]/;

/** Writes a refusal and closes the connection. */
export function writeRawRefusal(
  socket: Socket,
  refusal: Refusal,
  extra: SseHeaders | undefined,
): void {
  if (socket.destroyed || !socket.writable) return;
  const body = Buffer.from(refusalBody(refusal), 'utf8');
  const all: SseHeaders = { ...extra, ...refusal.headers, ...REFUSAL_HEADERS };
  let head = `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(all)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? (value as readonly string[]) : [String(value)]) {
      // Values come from the hub's own options and messages; never let one end a line.
      if (!UNSAFE_VALUE.test(item)) head += `${name}: ${item}\r\n`;
    }
  }
  head += `content-length: ${body.length}\r\ndate: ${new Date().toUTCString()}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** Answers a subscribe request on the socket. */
export function answerRaw(
  socket: Socket,
  head: RawRequestHead,
  outcome: SubscribeOutcome,
  extra: SseHeaders | undefined,
  logger?: Logger,
): void {
  if (!outcome.ok) {
    if (outcome.refusal.transient) socket.destroy();
    else writeRawRefusal(socket, outcome.refusal, extra);
    return;
  }
  const { plan } = outcome;
  if (socket.destroyed) {
    plan.prepared.cancel(); // The client left while it was being authorized.
    return;
  }
  try {
    startSubscription(createRawSseStream(socket, head, plan.streamOptions), plan, logger);
  } catch {
    plan.prepared.cancel();
    socket.destroy();
  }
}
