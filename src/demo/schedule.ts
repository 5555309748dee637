/**
 * The one timer of each demo publisher: runs an async task every `interval`
 * ms, never two at once (a tick still publishing when the next is due skips
 * it, so a slow transport never piles up publishes), and stops for good when
 * the hub closes.
 */
import { isSseError, SseError } from '../protocol/sse-error.js';
import type { Hub } from '../hub/index.js';

/** What the demo publishers need of a hub: `publish`, and `stats` for the monitor. */
export type DemoHub = Pick<Hub, 'publish' | 'stats'>;

/** A running publisher. */
export interface DemoTask {
  /** Stops it; idempotent. A publish already under way completes. */
  stop(): void;
}

/** Smallest interval accepted, in ms: the demo must never flood a hub. */
export const MIN_INTERVAL = 10;

/** Checks an interval option. @throws {SseError} `SSE_ERR_INVALID_OPTION` naming it. */
export function checkInterval(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < MIN_INTERVAL) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"${name}" must be an integer of at least ${MIN_INTERVAL} (ms), got ${String(value)}`,
      { field: name },
    );
  }
  return value;
}

/**
 * Runs `tick` every `interval` ms on an unref()ed timer (the demo never keeps
 * a process alive by itself). Errors go to `onError`, except the hub closing,
 * which stops the task. `onStop` runs once, however the task stops.
 */
export function every(
  interval: number,
  tick: () => Promise<void>,
  onError: (error: unknown) => void,
  onStop?: () => void,
): DemoTask {
  let running = false;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    onStop?.();
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((error: unknown) => {
        if (isSseError(error, 'SSE_ERR_HUB_CLOSED')) stop();
        else onError(error);
      })
      .finally(() => {
        running = false;
      });
  }, interval);
  timer.unref();
  return { stop };
}
