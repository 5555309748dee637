/**
 * The transport contract, run against the Redis Streams transport on a real
 * Redis (`REDIS_URL`), one fresh key prefix per transport, deleted after.
 */
import { after } from 'node:test';
import { createRedisTransport } from '../../src/transports/redis.js';
import { transportContract } from './contract.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from './redis-helpers.js';

const admin = await connectAdmin();
const prefixes: string[] = [];

after(async () => {
  await admin.client?.close();
});

transportContract({
  name: 'redis transport',
  skip: skipReason(admin.reason),
  factory: ({ historySize, historyBytes }) => {
    const keyPrefix = freshPrefix();
    prefixes.push(keyPrefix);
    return createRedisTransport({
      url: REDIS_URL,
      keyPrefix,
      historySize,
      historyBytes,
      connectTimeoutMs: 2000,
    });
  },
  cleanup: async () => {
    if (admin.client !== undefined) await deletePrefixes(admin.client, prefixes);
  },
});
