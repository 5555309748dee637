/**
 * The Redis benchmarks' own connection to Redis: fresh key prefixes, the
 * server's CPU and command counters (`INFO`), and cleanup of the keys a run
 * wrote.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';

export type Admin = ReturnType<typeof createClient>;

export async function connectAdmin(url: string): Promise<Admin> {
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', (error: unknown) => {
    console.error('redis admin connection:', error);
  });
  await client.connect();
  return client;
}

/**
 * A key prefix no one else uses. (The transport wraps it in braces, a Redis
 * Cluster hash tag: the keys are `{<prefix>}:updates` and `{<prefix>}:ids`.)
 */
export function freshPrefix(): string {
  return `ssehub-bench-${randomUUID().slice(0, 8)}`;
}

/** Redis counters read together. */
export interface RedisPoint {
  /** used_cpu_user + used_cpu_sys, µs (every thread of the server). */
  cpuUs: number;
  /** total_commands_processed. */
  commands: number;
}

function field(info: string, name: string): number {
  const value = new RegExp(`^${name}:([^\\r\\n]+)`, 'm').exec(info)?.[1];
  return Number(value ?? NaN);
}

export async function redisPoint(admin: Admin): Promise<RedisPoint> {
  const info = await admin.sendCommand<string>(['INFO', 'cpu', 'stats']);
  return {
    cpuUs: (field(info, 'used_cpu_user') + field(info, 'used_cpu_sys')) * 1e6,
    commands: field(info, 'total_commands_processed'),
  };
}

/** Deletes the keys of a transport prefix (`{<prefix>}:…`); resolves to how many. */
export async function deletePrefix(admin: Admin, prefix: string): Promise<number> {
  const keys: string[] = [];
  // Glob-escape: `{` and `}` are literal in Redis globs, but escape every
  // non-word character of the prefix anyway.
  const pattern = `\\{${prefix.replace(/[^\w:-]/g, (c) => `\\${c}`)}\\}:*`;
  for await (const batch of admin.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    keys.push(...batch);
  }
  if (keys.length > 0) await admin.del(keys);
  return keys.length;
}
