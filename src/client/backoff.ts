/**
 * The delay before a reconnection attempt.
 *
 * [spec] "Wait a delay equal to the reconnection time of the event source.
 * Optionally, wait some more. In particular, if the previous attempt failed,
 * then user agents might introduce an exponential backoff delay to avoid
 * overloading a potentially already overloaded server."
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
 */
import type { ResolvedOptions } from './options.js';

/** Longest delay timers take (about 24.8 days); a longer one would fire at once in Node. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

export interface DelayInput {
  /** Attempts since the last successful connection, this one included (1, 2, …). */
  readonly attempt: number;
  /** The event source's reconnection time: the option, or the server's last `retry:`. */
  readonly reconnectionTime: number;
  /** The last `retry:` the server sent, if any. */
  readonly serverRetry: number | undefined;
  readonly policy: ResolvedOptions['reconnect'];
  readonly random: () => number;
}

/**
 * Without a policy: the reconnection time, as browsers do. With one:
 * `min(maxDelay, initialDelay × factor^(attempt-1))`, less up to `jitter` of
 * it at random, floored at the server's `retry:`.
 */
export function reconnectDelay(input: DelayInput): number {
  const { policy } = input;
  if (policy === undefined) return Math.min(input.reconnectionTime, MAX_DELAY_MS);
  const grown = policy.initialDelay * policy.factor ** Math.max(0, input.attempt - 1);
  const capped = Math.min(policy.maxDelay, grown);
  // random() is in [0, 1): the delay is in (capped × (1 - jitter), capped].
  const jittered = capped - capped * policy.jitter * clamp01(input.random());
  const delay = Math.max(input.serverRetry ?? 0, Math.round(jittered));
  return Math.min(delay, MAX_DELAY_MS);
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
