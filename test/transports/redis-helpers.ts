/**
 * Shared by the Redis transport tests: where Redis is, whether it answers,
 * fresh key prefixes and their cleanup.
 *
 * Redis unreachable: with `CI=true` the suites fail (a CI run must not pass
 * by skipping); otherwise they are skipped with one loud line on stderr.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type AdminClient = ReturnType<typeof createClient>;

/** Connects an admin client, or says why it could not (within 2 s). */
export async function connectAdmin(): Promise<
  { client: AdminClient; reason?: undefined } | { client?: undefined; reason: string }
> {
  const client = createClient({
    url: REDIS_URL,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return { client };
  } catch (error) {
    return { reason: `Redis unreachable at ${REDIS_URL}: ${String(error)}` };
  }
}

/**
 * The `skip` reason for a Redis suite: undefined when Redis answered. On CI
 * an unreachable Redis is not skipped: the suite runs and fails loudly.
 */
export function skipReason(reason: string | undefined): string | undefined {
  if (reason === undefined || process.env.CI === 'true') return undefined;
  console.error(
    `\n*** SKIPPING Redis transport tests: ${reason} (set REDIS_URL; CI=true fails instead) ***\n`,
  );
  return reason;
}

/** A key prefix no other test uses. */
export function freshPrefix(): string {
  return `ssehub-test:${randomUUID()}`;
}

/** Deletes every key under the given prefixes. */
export async function deletePrefixes(admin: AdminClient, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes.splice(0)) {
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `{${prefix}}:*`, COUNT: 100 })) {
      keys.push(...batch);
    }
    if (keys.length > 0) await admin.del(keys);
  }
}
