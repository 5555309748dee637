/**
 * Adapter for Express (4 and 5) and Connect-style frameworks. Their `req` and
 * `res` are node's, so this is {@link createSseStream} with a name to find;
 * it imports nothing from `express` (no runtime import, none in the `.d.ts`).
 *
 * Works behind `compression`: that middleware buffers writes in a zlib stream
 * and adds `res.flush()`, which the node adapter calls after the head and
 * after every write, so events are not held back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SseStreamOptions } from '../options.js';
import type { SseStream } from '../sse-stream.js';
import { createSseStream } from './node-http.js';

/**
 * Starts an SSE response in an Express route handler.
 *
 * @example
 * app.get('/events', (req, res) => {
 *   const stream = createExpressSseStream(req, res);
 *   const unsubscribe = feed.subscribe((item) => stream.send({ data: JSON.stringify(item) }));
 *   stream.on('close', unsubscribe);
 * });
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` on invalid options (nothing is written).
 */
export function createExpressSseStream(
  req: IncomingMessage,
  res: ServerResponse & { flush?(): void },
  options: SseStreamOptions = {},
): SseStream {
  return createSseStream(req, res, options);
}
