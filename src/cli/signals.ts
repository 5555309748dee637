/**
 * Shutdown on SIGTERM or SIGINT: the first signal starts a graceful
 * shutdown; a second one forces the exit.
 *
 * Copies of the first signal are ignored for a moment: Ctrl-C in a terminal
 * signals the whole process group, and launchers (npm, tsx) relay it to
 * their child as well, so one key press often arrives twice.
 */
import type { Logger } from 'pino';

/** A repeat within this many ms counts as the same signal. */
const REPEAT_MS = 1000;

/**
 * Resolves to the first shutdown signal; from then on a later signal calls
 * `force` (which should exit).
 */
export function shutdownSignal(logger: Logger, force: () => void): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (name: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const first = Date.now();
      const again = (repeat: NodeJS.Signals): void => {
        if (Date.now() - first < REPEAT_MS) return;
        process.off('SIGTERM', again);
        process.off('SIGINT', again);
        logger.warn({ signal: repeat }, 'second signal: exiting now');
        force();
      };
      process.on('SIGTERM', again);
      process.on('SIGINT', again);
      resolve(name);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
