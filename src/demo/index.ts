// ssehub's demo publishers (`ssehub serve --demo`): simulated prices, the
// hub's vital signs and notifications, on the topics the dashboard shows.
export { startDemo } from './start-demo.js';
export type { DemoOptions } from './start-demo.js';
export {
  DEFAULT_SYMBOLS,
  MAX_SYMBOLS,
  checkSymbols,
  nextPrice,
  startPriceTicker,
} from './price-ticker.js';
export type { PriceTickerOptions } from './price-ticker.js';
export { createVitalsSampler, startMonitor } from './monitor.js';
export type { MonitorOptions, Vitals, VitalsSampler, VitalsSamplerOptions } from './monitor.js';
export { startNotifications } from './notifications.js';
export type { NotificationsOptions } from './notifications.js';
export { MIN_INTERVAL } from './schedule.js';
export type { DemoHub, DemoTask } from './schedule.js';
export {
  DEMO_SELECTORS,
  DEMO_TOPIC_BASE,
  MONITOR_EVENT,
  MONITOR_TOPIC,
  NOTIFICATIONS_TOPIC,
  NOTIFICATION_TYPES,
  PRICES_SELECTOR,
  PRICE_EVENT,
  priceTopic,
} from './topics.js';
export type { NotificationType, PriceTick } from './topics.js';
