/**
 * The demo's topics and event types: what the dashboard at `/` subscribes to
 * and what the demo publishers send. Any publisher that follows this page
 * (the examples in `examples/`, `curl`, a Symfony app) shows on the dashboard.
 *
 * | topic | SSE `type` | `data` |
 * |---|---|---|
 * | `https://ssehub.dev/demo/prices/{symbol}` | `price` | JSON {@link PriceTick} |
 * | `https://ssehub.dev/demo/monitor` | `monitor` | JSON {@link Vitals} (see `monitor.ts`) |
 * | `https://ssehub.dev/demo/notifications` | `info`, `warning` or `alert` | the message, plain text |
 *
 * The dashboard opens one `EventSource` for all three (one `topic` parameter
 * each, the first a URI template), whatever the number of symbols.
 */

/** Every demo topic starts with this IRI. Never dereferenced: topics are names. */
export const DEMO_TOPIC_BASE = 'https://ssehub.dev/demo/';

/** URI template (RFC 6570) matching every symbol's price topic. */
export const PRICES_SELECTOR = `${DEMO_TOPIC_BASE}prices/{symbol}`;
/** The server monitor's topic. */
export const MONITOR_TOPIC = `${DEMO_TOPIC_BASE}monitor`;
/** The notifications feed's topic. */
export const NOTIFICATIONS_TOPIC = `${DEMO_TOPIC_BASE}notifications`;
/** The topic selectors of the dashboard's one `EventSource`. */
export const DEMO_SELECTORS: readonly string[] = [
  PRICES_SELECTOR,
  MONITOR_TOPIC,
  NOTIFICATIONS_TOPIC,
];

/** SSE event type of price ticks. */
export const PRICE_EVENT = 'price';
/** SSE event type of monitor samples. */
export const MONITOR_EVENT = 'monitor';
/** SSE event types of notifications, from least to most urgent. */
export const NOTIFICATION_TYPES = ['info', 'warning', 'alert'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The price topic of one symbol. */
export function priceTopic(symbol: string): string {
  return `${DEMO_TOPIC_BASE}prices/${encodeURIComponent(symbol)}`;
}

/** The `data` of a `price` event. */
export interface PriceTick {
  readonly symbol: string;
  /** Last price, two decimals. */
  readonly price: number;
  /** Price when the ticker started (the dashboard shows the change since). */
  readonly open: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
}
