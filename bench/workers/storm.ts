/**
 * Reconnect storm: how many authorized subscribes per second `ssehub serve
 * --workers N` (memory transport, no Redis) takes, for each N in the same
 * run. What it models: every client of a hub coming back at once (after a
 * deploy, a load balancer's failover, a network blip), each with its own JWT.
 *
 *   npm run bench:storm                                   # --workers 1,2, 2 client processes
 *   npm run bench:storm -- --workers 1,2,3 --seconds 10 --concurrency 64
 *
 * - Each configuration gets a fresh `ssehub serve --workers N --jwt-key K`
 *   (no anonymous subscribers: every subscribe carries a bearer token; 1,000
 *   distinct tokens, each allowed to subscribe to the topic and to a topic of
 *   its own, so no two requests are alike), signed `--alg` ES256 by default
 *   (an identity provider's key pair, the hub holding the public key; RS256
 *   and HS256 too).
 * - Clients (`storm-client.ts`, `--clients` processes): `--concurrency`
 *   closed loops each; a loop connects from a rotating 127.0.0.x address,
 *   subscribes, waits for the 200 head, closes, and starts over. A client's
 *   work per subscribe (connect, one write, one read, close) is a fraction of
 *   the hub's (the request head, the JWT's signature and claims, the
 *   selectors, registering and unregistering the subscriber, the response
 *   head), so on a 2-core machine a second worker finds CPU the clients leave.
 * - `--warmup-seconds` unmeasured, then `--seconds` measured: subscribes/s
 *   (200 heads received), failures, connect → head p50 / p99, CPU of every
 *   process from /proc. No pinning.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '../../src/hub-server/index.js';
import { startChild, type Child } from '../fanout/children.js';
import { fmt, localAddressesFor } from '../fanout/generators.js';
import { TOPIC } from '../fanout/server-harness.js';
import { takePoint, usageBetween, waitForQuiet } from '../redis/measure.js';
import { startServe, stopServe } from './serve.js';
import type { StormReport } from './storm-client.js';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    clients: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '3' },
    addresses: { type: 'string', default: '8' },
    tokens: { type: 'string', default: '1000' },
    alg: { type: 'string', default: 'ES256' },
    'wait-quiet': { type: 'string', default: '0' },
  },
});

const configs = args.workers.split(',').map(Number);
const clientCount = Number(args.clients);
const concurrency = Number(args.concurrency);
const seconds = Number(args.seconds);
const warmupSeconds = Number(args['warmup-seconds']);
const localAddresses = localAddressesFor(Number(args.addresses));
const allCores = `0-${cpus().length - 1}`;
const tsx = import.meta.resolve('tsx');
const clientScript = fileURLToPath(new URL('./storm-client.ts', import.meta.url));

const ALGS = ['HS256', 'RS256', 'ES256'] as const;
const chosen = ALGS.find((a) => a === args.alg);
if (chosen === undefined) {
  console.error(`--alg must be one of ${ALGS.join(', ')}, got ${JSON.stringify(args.alg)}`);
  process.exit(2);
}
const alg: (typeof ALGS)[number] = chosen;
/** The hub verifies with `verifyKey`; the tokens are signed with `signKey`. */
const { signKey, verifyKey } = ((): { signKey: string; verifyKey: string } => {
  if (alg === 'HS256') {
    const secret = randomBytes(32).toString('hex');
    return { signKey: secret, verifyKey: secret };
  }
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    signKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    verifyKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
})();
const tokens = await Promise.all(
  Array.from({ length: Number(args.tokens) }, (_, i) =>
    signToken({
      key: signKey,
      alg,
      subscribe: [TOPIC, `https://example.com/users/${i}/{+rest}`],
      claims: { sub: `user-${i}` },
    }),
  ),
);

type Reply = { type: 'ready' } | { type: 'report'; report: StormReport };
type Client = Child<Reply, { type: 'run' } & Record<string, unknown>>;

interface Result {
  workers: number;
  rate: number;
  failed: number;
  firstError: string | undefined;
  p50Ms: number;
  p99Ms: number;
  serving: number[];
  primary: number;
  clients: number;
  /** The kernel's part of `clients`. */
  clientsSystem: number;
  machine: number;
  other: number;
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);

async function storm(clients: Client[], port: number, runSeconds: number): Promise<StormReport[]> {
  for (const client of clients) {
    client.send({
      type: 'run',
      port,
      path: `/.well-known/mercure?topic=${TOPIC}`,
      tokens,
      concurrency,
      seconds: runSeconds,
      localAddresses,
    });
  }
  return Promise.all(
    clients.map(async (c) => (await c.next('report', (runSeconds + 60) * 1000)).report),
  );
}

async function runConfig(workers: number): Promise<Result> {
  const serve = await startServe(workers, [`--jwt-key=${verifyKey}`, '--jwt-alg', alg]);
  const clients: Client[] = Array.from({ length: clientCount }, (_, i) =>
    startChild<Reply, { type: 'run' } & Record<string, unknown>>(
      `storm-client-${i}`,
      allCores,
      ['--import', tsx],
      clientScript,
    ),
  );
  try {
    await Promise.all(clients.map((c) => c.next('ready', 60_000)));
    await storm(clients, serve.port, warmupSeconds);
    await sleep(1000);
    const groups = (): [string, number[]][] => [
      ...serve.servingPids.map((pid, i): [string, number[]] => [`serving ${i}`, [pid]]),
      ...(workers === 1 ? [] : [['primary', [serve.primaryPid]] as [string, number[]]]),
      ['clients', clients.map((c) => c.process.pid ?? 0)],
    ];
    const a = await takePoint(undefined, groups);
    const reports = await storm(clients, serve.port, seconds);
    const b = await takePoint(undefined, groups);
    const usage = usageBetween(a, b);
    const windowS = (b.atUs - a.atUs) / 1e6;
    const ok = reports.reduce((n, r) => n + r.ok, 0);
    const sample = reports.flatMap((r) => r.sample).sort((x, y) => x - y);
    return {
      workers,
      rate: ok / windowS,
      failed: reports.reduce((n, r) => n + r.failed, 0),
      firstError: reports.find((r) => r.firstError !== undefined)?.firstError,
      p50Ms: quantile(sample, 0.5) / 1000,
      p99Ms: quantile(sample, 0.99) / 1000,
      serving: serve.servingPids.map((_, i) => usage.groups[`serving ${i}`] ?? 0),
      primary: usage.groups.primary ?? 0,
      clients: usage.groups.clients ?? 0,
      clientsSystem: usage.groupsSystem.clients ?? 0,
      machine: usage.machine,
      other: usage.other,
    };
  } finally {
    for (const client of clients) client.kill();
    await stopServe(serve);
  }
}

console.log(
  `storm: authorized subscribes (connect, GET with a bearer JWT, 200 head, close) against ssehub serve --workers ${configs.join(' vs ')} ` +
    `(memory transport), ${clientCount} client processes × ${concurrency} loops, ${localAddresses.length} source addresses, ` +
    `${tokens.length} distinct ${alg} tokens, ${warmupSeconds} s warm-up + ${seconds} s measured, ${cpus().length} cores shared (no pinning), ` +
    `node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z`,
);
const quiet = await waitForQuiet(Number(args['wait-quiet']));
console.log(
  `machine before the run: ${fmt(quiet.busy)} % busy (of ${cpus().length * 100} %)${quiet.quiet ? '' : ' (NOT quiet)'}\n`,
);
console.log(
  '| --workers | subscribes/s | failed | p50 ms | p99 ms | serving CPU % | primary CPU % | clients CPU % (kernel) | all cores % | other % |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
);
const results: Result[] = [];
for (const workers of configs) {
  const r = await runConfig(workers);
  results.push(r);
  console.log(
    `| ${r.workers} | ${fmt(r.rate)} | ${fmt(r.failed)}${r.firstError === undefined ? '' : ` (${r.firstError})`} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.serving.map((x) => fmt(x)).join(' + ')} | ${r.workers === 1 ? '–' : fmt(r.primary)} | ${fmt(r.clients)} (${fmt(r.clientsSystem)}) | ${fmt(r.machine)} | ${fmt(r.other)} |`,
  );
}
const base = results.find((r) => r.workers === 1);
if (base !== undefined) {
  for (const r of results) {
    if (r !== base) {
      console.log(`\n--workers ${r.workers} / --workers 1: ${fmt(r.rate / base.rate, 2)}×`);
    }
  }
}
process.exit(results.some((r) => r.failed > 0) ? 1 : 0);
