/**
 * Small answers on node's `ServerResponse` (or the node:http2 compatibility
 * API's): a body with its type, or an error as a refusal (the same bytes
 * every refusal gets, see `refusal.ts`).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { NodeSseResponse } from '../response/adapters/node-http.js';
import { writeNodeRefusal } from './answer-node.js';
import { HttpError, refusalFor } from './refusal.js';

/**
 * Writes a `text/plain; charset=utf-8` error response (`message` plus a line
 * feed). Does nothing when the head was already sent.
 */
export function sendError(
  res: NodeSseResponse,
  status: number,
  message: string,
  headers?: OutgoingHttpHeaders,
): void {
  writeNodeRefusal(res, refusalFor(new HttpError(status, message)), headers);
}

/** Writes a small response with a body and content type (JSON, text, HTML, JS). */
export function sendBody(
  res: NodeSseResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers?: OutgoingHttpHeaders,
  head = false,
): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    'x-content-type-options': 'nosniff',
  });
  if (head) res.end();
  else res.end(body);
}
