/**
 * The demo behind `ssehub serve --demo`: the price ticker, the server
 * monitor and the notifications generator, publishing in process to one hub
 * on the topics of `topics.ts`, which the dashboard at `/` shows.
 */
import { startMonitor } from './monitor.js';
import { startNotifications } from './notifications.js';
import { startPriceTicker } from './price-ticker.js';
import type { DemoHub, DemoTask } from './schedule.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Symbols of the price ticker. @default DEFAULT_SYMBOLS (ACME, GLOBEX, INITECH, UMBRELLA) */
  symbols?: readonly string[] | undefined;
  /** Milliseconds between two price ticks; `false`: no prices. @default 1000 */
  priceInterval?: number | false | undefined;
  /** Milliseconds between two monitor samples; `false`: no monitor. @default 1000 */
  monitorInterval?: number | false | undefined;
  /** Milliseconds between two notifications; `false`: none. @default 20000 */
  notificationInterval?: number | false | undefined;
  /** Uniform random numbers in [0, 1) (tests make them repeatable). @default Math.random */
  random?: (() => number) | undefined;
  /**
   * Called when a publish fails (a transport down): the demo keeps going.
   * The hub closing stops the demo instead, silently.
   *
   * @default ignore
   */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Starts the demo publishers on `hub`; `stop()` stops them all.
 *
 * @example
 * const server = createHubServer({ jwtKey, anonymous: true });
 * const demo = startDemo(server.hub, { symbols: ['ACME', 'GLOBEX'] });
 * await server.listen(3000);
 * // later: demo.stop(); await server.close();
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option (`symbols`,
 * `priceInterval`, `monitorInterval`, `notificationInterval`); nothing is
 * started then.
 */
export function startDemo(hub: DemoHub, options: DemoOptions = {}): DemoTask {
  const { random, onError } = options;
  const starters: (() => DemoTask)[] = [];
  if (options.priceInterval !== false) {
    const interval = options.priceInterval;
    starters.push(() =>
      startPriceTicker(hub, { symbols: options.symbols, interval, random, onError }),
    );
  }
  if (options.monitorInterval !== false) {
    const interval = options.monitorInterval;
    starters.push(() => startMonitor(hub, { interval, onError }));
  }
  if (options.notificationInterval !== false) {
    const interval = options.notificationInterval;
    starters.push(() => startNotifications(hub, { interval, random, onError }));
  }
  const tasks: DemoTask[] = [];
  try {
    for (const start of starters) tasks.push(start());
  } catch (error) {
    for (const task of tasks) task.stop();
    throw error;
  }
  return {
    stop() {
      for (const task of tasks) task.stop();
    },
  };
}
