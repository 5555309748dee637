/**
 * Made-up operational notifications, one every 20 s by default, so the
 * dashboard's feed shows each type without anyone publishing. (The HTTP way
 * to publish one, as a cron job would, is `examples/notify.ts`.)
 */
import { checkInterval, every, type DemoHub, type DemoTask } from './schedule.js';
import { NOTIFICATIONS_TOPIC, type NotificationType } from './topics.js';

/** What the generator says, picked at random. */
const MESSAGES: readonly (readonly [NotificationType, string])[] = [
  ['info', 'Nightly export finished: 12,408 rows written.'],
  ['info', 'Deployment 2024.11.3 rolled out to every region.'],
  ['info', 'Cache warmed in 840 ms.'],
  ['warning', 'Replica lag above 2 s on db-2.'],
  ['warning', 'Disk /var is 85 % full on worker-4.'],
  ['warning', 'Payment webhooks retried 3 times in the last minute.'],
  ['alert', 'Error rate of the checkout API above 5 %.'],
  ['alert', 'Certificate of api.example.com expires in 3 days.'],
];

/** Options of {@link startNotifications}. */
export interface NotificationsOptions {
  /** Milliseconds between two notifications. @default 20000 */
  interval?: number | undefined;
  /** Uniform random numbers in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Called when a publish fails (the hub closing stops the generator instead). @default ignore */
  onError?: ((error: unknown) => void) | undefined;
}

/** Starts publishing notifications; returns the handle that stops it. */
export function startNotifications(hub: DemoHub, options: NotificationsOptions = {}): DemoTask {
  const interval = checkInterval('notificationInterval', options.interval ?? 20_000);
  const random = options.random ?? Math.random;
  return every(
    interval,
    async () => {
      const picked = MESSAGES[Math.floor(random() * MESSAGES.length)];
      if (picked === undefined) return;
      await hub.publish({ topics: NOTIFICATIONS_TOPIC, type: picked[0], data: picked[1] });
    },
    options.onError ?? (() => undefined),
  );
}
