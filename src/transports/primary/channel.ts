/**
 * One ordered, message-framed link between the primary and one worker, the
 * only thing the primary transport needs from node:cluster: messages arrive
 * in the order sent, each whole, and `onClose` fires once when the other
 * side is gone. Tests join two ends in one process ({@link channelPair}).
 *
 * The cluster's IPC channel (a Unix socket pair node opens for every
 * worker) is used as is: node frames and JSON-encodes each message. One
 * message per update per worker, whatever the number of subscribers, so its
 * cost does not grow with the fan-out (measured: docs/benchmarks.md,
 * "Workers without Redis").
 */
import type { Worker } from 'node:cluster';

export interface Channel {
  /** Sends one message; dropped when the other side is gone (then `onClose` has fired or will). */
  send(message: unknown): void;
  /** Sets the one handler of incoming messages. */
  onMessage(handler: (message: unknown) => void): void;
  /** Sets the one handler called once when the link is gone. */
  onClose(handler: () => void): void;
  /** Whether the other side can still be reached. */
  connected(): boolean;
  /** Stops listening (the link itself stays: it is the cluster's). */
  detach(): void;
}

/** The primary's end of its link to `worker`. */
export function workerChannel(worker: Worker): Channel {
  let onMessage: (message: unknown) => void = () => undefined;
  let onClose: () => void = () => undefined;
  let closed = false;
  const message = (value: unknown): void => {
    onMessage(value);
  };
  const gone = (): void => {
    if (closed) return;
    closed = true;
    onClose();
  };
  // A send racing the worker's death reports here; `gone` follows.
  const error = (): void => undefined;
  worker.on('message', message);
  worker.on('disconnect', gone);
  worker.on('exit', gone);
  worker.on('error', error);
  return {
    send(value) {
      if (!closed && worker.isConnected()) worker.send(value as never);
    },
    onMessage(handler) {
      onMessage = handler;
    },
    onClose(handler) {
      onClose = handler;
    },
    connected: () => !closed && worker.isConnected(),
    detach() {
      closed = true;
      worker.off('message', message);
      worker.off('disconnect', gone);
      worker.off('exit', gone);
      worker.off('error', error);
    },
  };
}

/**
 * A worker's end of its link to the primary (`process.send`). When the
 * primary dies the link closes and node:cluster ends the worker (exit 0):
 * nothing here keeps a worker without its primary.
 */
export function primaryChannel(): Channel {
  const proc = process;
  if (proc.send === undefined) {
    throw new Error('not a cluster worker: no channel to the primary');
  }
  let onMessage: (message: unknown) => void = () => undefined;
  let onClose: () => void = () => undefined;
  let closed = false;
  const message = (value: unknown): void => {
    onMessage(value);
  };
  const gone = (): void => {
    if (closed) return;
    closed = true;
    onClose();
  };
  proc.on('message', message);
  proc.on('disconnect', gone);
  return {
    send(value) {
      if (!closed && proc.connected) proc.send?.(value);
    },
    onMessage(handler) {
      onMessage = handler;
    },
    onClose(handler) {
      onClose = handler;
    },
    connected: () => !closed && proc.connected,
    detach() {
      closed = true;
      proc.off('message', message);
      proc.off('disconnect', gone);
    },
  };
}

/**
 * Two joined ends in one process, for tests: each message is delivered on a
 * later turn (as over a socket), in order, after a JSON round trip (as the
 * cluster channel does), so whatever JSON loses is lost here too.
 */
export function channelPair(): { primary: Channel; worker: Channel; close(): void } {
  const ends = [makeEnd(), makeEnd()] as const;
  const [a, b] = ends;
  a.peer = b;
  b.peer = a;
  return {
    primary: a.channel,
    worker: b.channel,
    close() {
      a.close();
      b.close();
    },
  };
}

interface End {
  peer: End | undefined;
  readonly channel: Channel;
  deliver(text: string): void;
  close(): void;
}

function makeEnd(): End {
  let onMessage: (message: unknown) => void = () => undefined;
  let onClose: () => void = () => undefined;
  let closed = false;
  let attached = true;
  const end: End = {
    peer: undefined,
    deliver(text) {
      setImmediate(() => {
        if (!closed && attached) onMessage(JSON.parse(text));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      setImmediate(() => {
        if (attached) onClose();
      });
    },
    channel: {
      send(value) {
        if (!closed) end.peer?.deliver(JSON.stringify(value));
      },
      onMessage(handler) {
        onMessage = handler;
      },
      onClose(handler) {
        onClose = handler;
      },
      connected: () => !closed,
      detach() {
        attached = false;
      },
    },
  };
  return end;
}
