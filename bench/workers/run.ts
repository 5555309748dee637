/**
 * Workers without Redis: `ssehub serve --workers N` with the memory
 * transport (the primary holds it and carries every update to the workers
 * over the cluster's channel) against `--workers 1` (one process), in the
 * same run, one after the other: N subscribers on one topic, opened by
 * several generator processes from several source addresses; a ladder of
 * steady update rates, each update to every subscriber.
 *
 *   npm run bench:workers                                     # 10,000 subscribers, 1 vs 2 workers
 *   npm run bench:workers -- --subscribers 2000 --rates 10,50   # a quick check
 *
 * (`npm run bench:workers` raises the open-file limit in its shell first:
 * each subscriber is a descriptor in a hub process and in a generator.)
 *
 * - Each configuration gets a fresh `ssehub serve` (from the sources, as the
 *   CLI runs), fresh generators and a fresh publisher.
 * - Updates go through the Mercure publish API (HTTP POST with a JWT, open
 *   loop over `--http-connections` keep-alive connections, which the
 *   primary hands to the workers in turn): latency runs from the start of
 *   the POST to the read on a sampled connection (CLOCK_MONOTONIC on both
 *   sides), so it includes the primary's round trip with several workers.
 * - Per step (`bench/redis/measure.ts`, shared with the Redis scale run):
 *   frames counted on every connection (expected = updates × subscribers),
 *   sequence gaps and duplicates on 1 % of them, connections the server
 *   closed, p50 / p99 latency on the sampled ones, CPU of each process. A
 *   step passes with zero loss and p99 < 1 s; the **capacity** of a
 *   configuration is the deliveries/s of its highest passing step, and the
 *   ladder stops after `--fail-stop` failing steps in a row.
 * - No pinning: the hub processes, the generators and the publisher share
 *   the machine's cores, as they would share a machine in production; the
 *   table shows where the CPU went.
 * - Bounded: every wait has a timeout, the whole run a time budget; the
 *   serve process group, generators and publisher are killed on exit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '../../src/hub-server/index.js';
import { memoryAfterGc, startServe, stopServe, type Serve } from './serve.js';
import { startChild } from '../fanout/children.js';
import {
  closeGenerators,
  connectSubscribers,
  fmt,
  localAddressesFor,
  startGenerators,
  type Generator,
} from '../fanout/generators.js';
import { TOPIC } from '../fanout/server-harness.js';
import type { PublisherCommand, PublisherReply } from '../redis/ipc.js';
import {
  lossCell,
  publishStep,
  stepWithRetry,
  takePoint,
  waitForQuiet,
  type StepResult,
} from '../redis/measure.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '1,2' },
    generators: { type: 'string', default: '4' },
    addresses: { type: 'string', default: '8' },
    rates: { type: 'string', default: '10,20,50,100,150,200,300,400' },
    'step-seconds': { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '2' },
    'fail-stop': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '20' },
    'payload-bytes': { type: 'string', default: '100' },
    'http-connections': { type: 'string', default: '4' },
    'wait-quiet': { type: 'string', default: '0' },
    /** Runs again (after waiting for a quiet minute) of a step that other work disturbed. */
    retries: { type: 'string', default: '2' },
    json: { type: 'string', default: '' },
    /** node flags for the serve processes (the workers inherit them), e.g. `--max-semi-space-size=2`. */
    'hub-node-flags': { type: 'string', default: '' },
    /** Idle seconds before the second memory reading (V8's memory reducer runs after a quiet spell). */
    'settle-seconds': { type: 'string', default: '45' },
  },
});
const hubNodeFlags = args['hub-node-flags'].split(' ').filter(Boolean);
const settleSeconds = Number(args['settle-seconds']);

const N = Number(args.subscribers);
const configs = args.workers.split(',').map(Number);
const generatorCount = Number(args.generators);
const localAddresses = localAddressesFor(Number(args.addresses));
const rates = args.rates.split(',').map(Number);
const stepSeconds = Number(args['step-seconds']);
const warmupSeconds = Number(args['warmup-seconds']);
const failStop = Number(args['fail-stop']);
const deadline = Date.now() + Number(args['max-minutes']) * 60_000;
const payloadSize = Number(args['payload-bytes']);
const allCores = `0-${cpus().length - 1}`;
const tsx = import.meta.resolve('tsx');

const fdLimit = Number(
  /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024,
);
const fewest = Math.min(...configs);
if (N + 500 > fdLimit * fewest || Math.ceil(N / generatorCount) + 500 > fdLimit) {
  console.error(
    `${fmt(N)} subscribers do not fit the open-file limit ${fmt(fdLimit)} (minus 500) per hub process (--workers ${fewest}) or per generator (${generatorCount}): raise it (ulimit -n; npm run bench:workers does) or add --generators`,
  );
  process.exit(2);
}

const jwtKey = randomBytes(32).toString('hex');
const token = await signToken({ key: jwtKey, publish: ['*'] });

interface Step extends StepResult {
  rate: number;
  servingCpu: number[];
  primaryCpu: number;
  fail: boolean;
}

interface ConfigResult {
  workers: number;
  connectMs: number;
  steps: Step[];
  /** Deliveries/s of the highest passing step. */
  capacity: number;
  capacityRate: number;
  /** RSS growth of the serving processes (after a full GC) from before the first connect to 5 s after the last, per subscriber (bytes). */
  rssPerSubscriber?: number;
  /** The same for the primary (0 with one process). */
  primaryRssPerSubscriber?: number;
  /** The serving processes' RSS growth per subscriber after `--settle-seconds` more of idleness. */
  settledRssPerSubscriber?: number;
  error?: string | undefined;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
const probeDir = mkdtempSync(join(tmpdir(), 'ssehub-bench-workers-'));
process.on('exit', () => {
  rmSync(probeDir, { recursive: true, force: true });
});

const pidOf = (c: { process: { pid?: number | undefined } }): number => c.process.pid ?? 0;

async function runConfig(workers: number): Promise<ConfigResult> {
  const result: ConfigResult = { workers, connectMs: 0, steps: [], capacity: 0, capacityRate: 0 };
  let serve: Serve | undefined;
  let generators: Generator[] = [];
  let publisher: ReturnType<typeof startChild<PublisherReply, PublisherCommand>> | undefined;
  console.log(`\n## --workers ${workers}\n`);
  try {
    serve = await startServe(
      workers,
      ['--jwt-key', jwtKey, '--anonymous', '--max-subscribers', String(N + 1000)],
      probeDir,
      hubNodeFlags,
    );
    const s = serve;
    publisher = startChild<PublisherReply, PublisherCommand>(
      'publisher',
      allCores,
      ['--import', tsx],
      fileURLToPath(new URL('../redis/publisher.ts', import.meta.url)),
    );
    generators = startGenerators(generatorCount, allCores);
    await publisher.next('ready', 60_000);
    await sleep(2000);
    const rssBefore = sum(await memoryAfterGc(probeDir, s.servingPids));
    const primaryBefore = workers === 1 ? 0 : sum(await memoryAfterGc(probeDir, [s.primaryPid]));
    const connected = await connectSubscribers(generators, {
      port: s.port,
      path: `/.well-known/mercure?topic=${TOPIC}`,
      count: N,
      indexOffset: 0,
      localAddresses,
      concurrency: 100,
      timeoutMs: 240_000,
    });
    result.connectMs = connected.ms;
    console.log(
      `connected ${fmt(connected.connected)} subscribers in ${fmt(connected.ms / 1000, 1)} s\n`,
    );
    // Idle memory twice: 5 s after the burst of connections (V8 still holds
    // the young generation it grew for it), then after `--settle-seconds` of
    // idleness (V8's memory reducer has run: the steady state of an idle hub).
    const idleMemory = async (): Promise<{ serving: number; primary: number }> => ({
      serving: (sum(await memoryAfterGc(probeDir, s.servingPids)) - rssBefore) / N,
      primary:
        workers === 1
          ? 0
          : (sum(await memoryAfterGc(probeDir, [s.primaryPid])) - primaryBefore) / N,
    });
    const report = (m: { serving: number; primary: number }, when: string): void => {
      console.log(
        `idle memory ${when}: RSS of the ${workers === 1 ? 'hub process' : `${workers} workers`} ` +
          `+${fmt((m.serving * N) / 2 ** 20)} MiB = ${fmt(m.serving / 1024, 2)} KB per subscriber` +
          (workers === 1 ? '' : `; the primary ${fmt(m.primary / 1024, 2)} KB per subscriber`) +
          ' (after a full GC; baseline before the first connect)',
      );
    };
    await sleep(5000);
    const burst = await idleMemory();
    report(burst, '5 s after the last connect');
    await sleep(settleSeconds * 1000);
    const settled = await idleMemory();
    report(settled, `${fmt(settleSeconds)} s later`);
    console.log('');
    result.rssPerSubscriber = burst.serving;
    result.primaryRssPerSubscriber = burst.primary;
    result.settledRssPerSubscriber = settled.serving;
    const serving = workers === 1 ? 'hub CPU %' : 'workers CPU %';
    console.log(
      `| upd/s | achieved upd/s | deliv/s | lost | p50 ms | p99 ms | p99.9 ms | max ms | ${serving} | primary CPU % | gen CPU % | pub CPU % | all cores % | other / steal % | result |\n` +
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    const pub = publisher;
    let nextSeq = 1;
    const runStep = async (rate: number): Promise<Step> => {
      const count = Math.max(1, Math.round(rate * (warmupSeconds + stepSeconds)));
      const startSeq = nextSeq;
      nextSeq += count;
      const r = await publishStep({
        generators,
        subscribers: N,
        warmupSeconds,
        point: () =>
          takePoint(undefined, () => [
            ...s.servingPids.map((pid, i): [string, number[]] => [`serving ${i}`, [pid]]),
            ...(workers === 1 ? [] : [['primary', [s.primaryPid]] as [string, number[]]]),
            ['generators', generators.map(pidOf)],
            ['publisher', [pidOf(pub)]],
          ]),
        publish: async () => {
          pub.send({
            type: 'schedule',
            url: `http://127.0.0.1:${s.port}/.well-known/mercure`,
            token,
            topic: TOPIC,
            payloadSize,
            rate,
            count,
            startSeq,
            connections: Number(args['http-connections']),
          });
          const { report } = await pub.next(
            'scheduled',
            (warmupSeconds + stepSeconds) * 1000 + 120_000,
          );
          if (report.failed > 0) {
            console.error(`  ! ${report.failed} publishes failed: ${report.firstError}`);
          }
          return { published: report.ok, failed: report.failed, maxLagUs: report.maxLagUs };
        },
      });
      const g = r.usage.groups;
      return {
        ...r,
        rate,
        servingCpu: s.servingPids.map((_, i) => g[`serving ${i}`] ?? 0),
        primaryCpu: g.primary ?? 0,
        fail: !r.pass || !(r.p99Ms < 1000),
      };
    };
    const row = (r: Step): string => {
      const u = r.usage;
      const g = u.groups;
      return `| ${fmt(r.rate)} | ${fmt(r.achievedRate, 1)} | ${fmt(r.deliveriesPerSecond)} | ${lossCell(r, fmt)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.p999Ms, 2)} | ${fmt(r.maxMs, 1)} | ${r.servingCpu.map((x) => fmt(x)).join(' + ')} | ${workers === 1 ? '–' : fmt(r.primaryCpu)} | ${fmt(g.generators ?? 0)} | ${fmt(g.publisher ?? 0)} | ${fmt(u.machine)} | ${fmt(u.other)} / ${fmt(u.steal)} | ${r.fail ? (r.pass ? 'FAIL (p99 ≥ 1 s)' : 'FAIL') : 'pass'} |`;
    };
    let failures = 0;
    for (const rate of rates) {
      if (Date.now() + (warmupSeconds + stepSeconds + 60) * 1000 > deadline) {
        console.log(`(time budget reached, stopping before ${rate} upd/s)`);
        break;
      }
      const step = await stepWithRetry(() => runStep(rate), row, 25, Number(args.retries));
      result.steps.push(step);
      console.log(row(step));
      if (!step.fail && step.deliveriesPerSecond > result.capacity) {
        result.capacity = step.deliveriesPerSecond;
        result.capacityRate = rate;
      }
      if (step.fail && ++failures >= failStop) break;
      if (!step.fail) failures = 0;
    }
  } catch (e) {
    result.error = String(e);
    console.error(e);
  } finally {
    if (generators.length > 0) await closeGenerators(generators);
    publisher?.send({ type: 'exit' });
    if (serve) await stopServe(serve);
    publisher?.kill();
  }
  return result;
}

console.log(
  `workers: ${fmt(N)} subscribers on 1 topic, ssehub serve --workers ${configs.join(' vs ')} (memory transport), ` +
    `${generatorCount} generator processes, ${localAddresses.length} source addresses, ${payloadSize}-byte payloads, ` +
    `HTTP publishes over ${args['http-connections']} connections, rates ${rates.join(',')} upd/s, steps ${warmupSeconds}+${stepSeconds} s, ` +
    `${cpus().length} cores shared (no pinning), open-file limit ${fmt(fdLimit)}, node ${process.version}${hubNodeFlags.length > 0 ? ` (serve: ${hubNodeFlags.join(' ')})` : ''}, ${new Date().toISOString().slice(0, 16)}Z`,
);
const quiet = await waitForQuiet(Number(args['wait-quiet']));
console.log(
  `machine before the run: ${fmt(quiet.busy)} % busy (of ${cpus().length * 100} %)${quiet.quiet ? '' : ' (NOT quiet: other work may disturb the figures)'}`,
);
const results: ConfigResult[] = [];
for (const workers of configs) results.push(await runConfig(workers));

console.log('\n## Summary\n');
console.log(
  '| --workers | capacity (deliv/s, zero loss, p99 < 1 s) | at upd/s | p50 / p99 ms at the first step | p50 / p99 ms at the capacity step | idle RSS KB/subscriber (serving + primary), 5 s after connecting | idle RSS KB/subscriber, settled |\n|---:|---:|---:|---:|---:|---:|---:|',
);
for (const r of results) {
  const first = r.steps[0];
  const top = r.steps.find((s) => s.rate === r.capacityRate && !s.fail);
  const pair = (s: Step | undefined): string =>
    s === undefined ? '–' : `${fmt(s.p50Ms, 1)} / ${fmt(s.p99Ms, 1)}`;
  console.log(
    `| ${r.workers} | ${fmt(r.capacity)} | ${fmt(r.capacityRate)} | ${pair(first)} | ${pair(top)} | ${r.rssPerSubscriber === undefined ? '–' : `${fmt(r.rssPerSubscriber / 1024, 2)} + ${fmt((r.primaryRssPerSubscriber ?? 0) / 1024, 2)}`} | ${r.settledRssPerSubscriber === undefined ? '–' : fmt(r.settledRssPerSubscriber / 1024, 2)} |${r.error === undefined ? '' : ` (error: ${r.error})`}`,
  );
}
const base = results.find((r) => r.workers === 1);
for (const r of results) {
  if (r === base || base === undefined || base.capacity === 0) continue;
  console.log(
    `\n--workers ${r.workers} / --workers 1 capacity: ${fmt(r.capacity / base.capacity, 2)}×`,
  );
}
if (args.json) writeFileSync(args.json, JSON.stringify({ args, results }, null, 2));
process.exit(results.some((r) => r.error !== undefined) ? 1 : 0);
