export { SseError, isSseError } from './sse-error.js';
export type { ProtocolErrorCode, SseErrorOptions } from './sse-error.js';
export { encodeEvent, encodeComment, encodeRetry } from './encode.js';
export type { EventInit } from './encode.js';
export { createParser } from './parser.js';
export type { ParsedEvent, ParserCallbacks, ParserOptions, Parser } from './parser.js';
export { createParserStream } from './parser-stream.js';
export type { ParserStreamOptions } from './parser-stream.js';
