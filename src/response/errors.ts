/** Error codes of one SSE response (see `SseError` in `src/protocol/sse-error.ts`). */
export type ResponseErrorCode =
  /** A stream's unsent bytes went over its `maxBufferedBytes`: the client stopped reading. */
  | 'SSE_ERR_SLOW_CONSUMER'
  /** The reason attached to a stream closed by the client, the server or an error. */
  | 'SSE_ERR_STREAM_CLOSED';
