/**
 * The parser as a web `TransformStream`: pipe a response body (bytes) or text
 * through it and read events. Works in browsers, Node, Deno and Bun alike.
 *
 * ```ts
 * const events = response.body.pipeThrough(createParserStream());
 * for await (const event of events) console.log(event.type, event.data);
 * ```
 */
import { createParser } from './parser.js';
import type { ParsedEvent, ParserOptions } from './parser.js';
import type { ProtocolErrorCode, SseError } from './sse-error.js';

export interface ParserStreamOptions extends ParserOptions {
  /** Called as soon as a valid `retry` field is read, with the reconnection time in ms. */
  onRetry?: ((ms: number) => void) | undefined;
  /** Called for every comment line with the text after `:` (one leading space removed). */
  onComment?: ((text: string) => void) | undefined;
  /**
   * Called when the stream breaks a limit; the offending event is discarded and
   * parsing goes on.
   * @default undefined: the stream errors with the `SseError` (`SSE_ERR_EVENT_TOO_LARGE`)
   */
  onError?: ((error: SseError<ProtocolErrorCode>) => void) | undefined;
}

/** Creates a `TransformStream` from bytes or text chunks to {@link ParsedEvent}s. */
export function createParserStream(
  options: ParserStreamOptions = {},
): TransformStream<string | Uint8Array, ParsedEvent> {
  let controller!: TransformStreamDefaultController<ParsedEvent>;
  let failed = false;
  const { onRetry, onComment, onError } = options;
  const parser = createParser(
    {
      onEvent: (event) => {
        if (!failed) controller.enqueue(event);
      },
      onRetry,
      onComment,
      onError:
        onError ??
        ((error) => {
          failed = true;
          controller.error(error);
        }),
    },
    options,
  );
  return new TransformStream<string | Uint8Array, ParsedEvent>({
    start(c) {
      controller = c;
    },
    transform(chunk) {
      if (!failed) parser.feed(chunk);
    },
    // [spec] at the end of the stream an unterminated block is discarded:
    // nothing to flush.
  });
}
