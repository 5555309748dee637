/**
 * The hub under fuzz, in its own process: `createHubServer` on 127.0.0.1,
 * port 0, with the fuzz key, anonymous subscribers, one CORS and publish
 * origin, and a pino logger at `warn` on stderr (so internal errors show up
 * next to the findings). Talks to `run.ts` over IPC:
 *
 * - sends `{ type: 'ready', port }` once listening;
 * - on `{ type: 'gc' }` collects garbage (needs `--expose-gc`) and replies
 *   `{ type: 'memory', rss, heapUsed }`.
 *
 * Anything uncaught ends the process (node's default): the driver reports it.
 */
import { pino } from 'pino';
import { createHubServer } from '../src/hub-server/index.js';
import { FUZZ_JWT_KEY } from './jwt.js';
import { APP_ORIGIN } from './targets.js';

const hubServer = createHubServer({
  jwtKey: FUZZ_JWT_KEY,
  anonymous: true,
  corsOrigins: [APP_ORIGIN],
  publishOrigins: [APP_ORIGIN],
  logger: pino({ level: 'warn' }, pino.destination(2)),
});

const address = await hubServer.listen(0, '127.0.0.1');
process.send?.({ type: 'ready', port: address.port });

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'gc') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({ type: 'memory', rss, heapUsed });
});

// The driver closes the IPC channel when it is done (or dies): shut down.
process.on('disconnect', () => {
  void hubServer.close().finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void hubServer.close().finally(() => process.exit(0));
});
