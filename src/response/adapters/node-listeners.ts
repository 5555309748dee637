/**
 * Close/error listeners for node emitters (responses, HTTP/2 streams), shared
 * by every stream: the sink is stored on the emitter under a private symbol
 * and the listeners read it through `this`, so a stream costs no closure.
 */
import type { SseConnectionSink } from '../connection.js';

const kSink = Symbol('ssehub.sink');

interface Emitter {
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

interface Tagged {
  [kSink]?: SseConnectionSink;
}

function onClose(this: Tagged): void {
  this[kSink]?.connectionClosed();
}

function onError(this: Tagged, error: Error): void {
  this[kSink]?.connectionFailed(error);
}

/**
 * Routes `close` and `error` from `emitter` to `sink`. The `error` listener
 * also keeps an emitted error from becoming an uncaught exception.
 */
export function listenForClose(emitter: Emitter, sink: SseConnectionSink): void {
  (emitter as Emitter & Tagged)[kSink] = sink;
  emitter.on('close', onClose);
  emitter.on('error', onError);
}
