/**
 * A bounded fuzzer for the hub server: starts a real hub in a child process
 * and, for `--seconds`, sends it mutated input over raw TCP on 127.0.0.1:
 * HTTP/1.1 request heads, subscribe query strings, publish form bodies with
 * valid, junk-claim and forged JWTs, topic selectors, pipelines and partial
 * requests (see `targets.ts`).
 *
 *   npm run fuzz                                   # 60 s, a random seed (printed)
 *   npm run fuzz -- --seconds 180 --seed 7         # reproducible run
 *   npm run fuzz -- --seed 7 --case 1234           # replay one generated case
 *   npm run fuzz -- --seed 7 --from 1000 --seconds 20   # run again from case 1000 on
 *   npm run fuzz -- --replay fuzz/findings/<run>/3-5xx.json
 *   npm run fuzz -- --cli                          # the hub started by `ssehub serve`
 *
 * Options: `--concurrency` (8), `--deadline` ms owed answers may take
 * (10000), `--rss-mb` growth allowed over the start (200), `--targets`
 * (comma list of head,subscribe,publish,selector,pipeline,partial),
 * `--max-residents` open event streams held at once (48), `--from` the
 * first case index (0). A case is a pure function of the seed, the target
 * list and its index.
 *
 * Oracles (each a finding; the run exits 1 when there is any):
 * - `crash`: the hub process exited;
 * - `5xx`: any response with a 5xx status;
 * - `memory`: the hub's RSS (after a forced GC with the default child) grew
 *   more than `--rss-mb` over its value at the start;
 * - `no-response`: a complete, well-formed request got no answer within the
 *   deadline (an event stream counts as answered once its 200 head arrived);
 *   `closed-without-response`: the hub closed such a connection unanswered;
 * - `unresponsive`: `GET /healthz` took longer than the deadline;
 * - `leak`: subscribers still counted by `/healthz` once every client is gone
 *   (then the cases that opened a stream are replayed one at a time, each
 *   followed by a `/healthz`, to find the ones that leave a subscriber);
 * - `error-log`: the hub logged at level error (or a 5xx status) on stderr.
 *
 * Each finding is saved to `fuzz/findings/<run>/` (gitignored): a `.json`
 * with the case, the answers and the hub's stderr around it, and a `.bin` of
 * the raw bytes (`nc 127.0.0.1 <port> < file.bin`). Bounded: loopback only,
 * stops by itself, kills its child on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FUZZ_JWT_KEY } from './jwt.js';
import { probe, type ProbeResult } from './probe.js';
import { hash32, Rng } from './rng.js';
import { APP_ORIGIN, generate, TARGETS, type FuzzCase, type TargetName } from './targets.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    deadline: { type: 'string', default: '10000' },
    'rss-mb': { type: 'string', default: '200' },
    targets: { type: 'string', default: TARGETS.join(',') },
    'max-residents': { type: 'string', default: '48' },
    case: { type: 'string' },
    from: { type: 'string', default: '0' },
    replay: { type: 'string' },
    cli: { type: 'boolean', default: false },
    'findings-dir': { type: 'string', default: join(ROOT, 'fuzz', 'findings') },
  },
});

function numberArg(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number between ${String(min)} and ${String(max)}`);
    process.exit(2);
  }
  return n;
}

const seconds = numberArg('seconds', args.seconds, 1, 24 * 3600);
const seed =
  args.seed === undefined
    ? Date.now() % 1_000_000
    : /^\d+$/.test(args.seed)
      ? Number(args.seed)
      : hash32(args.seed);
const concurrency = numberArg('concurrency', args.concurrency, 1, 256);
const deadlineMs = numberArg('deadline', args.deadline, 100, 600_000);
const rssBoundBytes = numberArg('rss-mb', args['rss-mb'], 1, 100_000) * 1024 * 1024;
const maxResidents = numberArg('max-residents', args['max-residents'], 0, 10_000);
const fromIndex = numberArg('from', args.from, 0, Number.MAX_SAFE_INTEGER);
const targets = args.targets.split(',').map((t) => t.trim()) as TargetName[];
for (const t of targets) {
  if (!(TARGETS as readonly string[]).includes(t)) {
    console.error(`--targets: unknown target "${t}" (known: ${TARGETS.join(', ')})`);
    process.exit(2);
  }
}
const WEIGHTS: Record<TargetName, number> = {
  head: 25,
  subscribe: 20,
  publish: 20,
  selector: 15,
  pipeline: 10,
  partial: 10,
};

// ---------------------------------------------------------------- the hub child

interface Hub {
  readonly child: ChildProcess;
  readonly port: number;
  /** The hub's RSS in bytes (after a GC when the child supports it). */
  memory(): Promise<number | undefined>;
  /** Set once the child exited: how. */
  exited: string | undefined;
  readonly stderr: { at: number; line: string }[];
}

let hubRef: Hub | undefined;
/** Set by the fuzz loop: sees every stderr line of the hub. */
let onStderrLine: (line: string) => void = () => undefined;
process.on('exit', () => {
  // Whatever happened, the child does not outlive the driver.
  if (hubRef !== undefined && hubRef.exited === undefined) hubRef.child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping`);
    process.exit(130);
  });
}

async function startHub(): Promise<Hub> {
  const child = args.cli
    ? spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'serve',
          '--port',
          '0',
          '--host',
          '127.0.0.1',
          '--jwt-key',
          FUZZ_JWT_KEY,
          '--anonymous',
          '--cors-origin',
          APP_ORIGIN,
          '--publish-origin',
          APP_ORIGIN,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      )
    : spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'fuzz/hub-child.ts'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
  const stderr: { at: number; line: string }[] = [];
  const keep = (line: string): void => {
    if (line === '') return;
    stderr.push({ at: performance.now(), line: line.slice(0, 2000) });
    if (stderr.length > 2000) stderr.splice(0, 1000);
    onStderrLine(line);
  };
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) keep(line);
  });
  const memoryWaiters: ((rss: number) => void)[] = [];
  const state: { exited: string | undefined } = { exited: undefined };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('the hub did not start within 30 s'));
    }, 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the hub exited at start-up (code ${String(code)}, signal ${String(signal)}):\n${stderr.map((l) => l.line).join('\n')}`,
        ),
      );
    });
    if (args.cli) {
      let out = '';
      child.stdout?.setEncoding('utf8').on('data', (text: string) => {
        out += text;
        const match = /listening on https?:\/\/[^\s"]*?:(\d+)\//.exec(out);
        if (match !== null) {
          clearTimeout(timer);
          resolve(Number(match[1]));
          out = '';
        } else if (out.length > 100_000) out = out.slice(-10_000);
      });
    } else {
      child.stdout?.resume();
      child.on('message', (raw) => {
        const message = raw as { type?: string; port?: number; rss?: number };
        if (message.type === 'ready' && typeof message.port === 'number') {
          clearTimeout(timer);
          resolve(message.port);
        } else if (message.type === 'memory' && typeof message.rss === 'number') {
          const rss = message.rss;
          for (const waiter of memoryWaiters.splice(0)) waiter(rss);
        }
      });
    }
  });
  const hub: Hub = {
    child,
    port,
    stderr,
    get exited() {
      return state.exited;
    },
    set exited(value) {
      state.exited = value;
    },
    async memory() {
      if (state.exited !== undefined) return undefined;
      if (args.cli || !child.connected) {
        try {
          const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
          const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
          return kb === undefined ? undefined : Number(kb) * 1024;
        } catch {
          return undefined;
        }
      }
      return new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => {
          resolve(undefined);
        }, deadlineMs);
        memoryWaiters.push((rss) => {
          clearTimeout(timer);
          resolve(rss);
        });
        child.send({ type: 'gc' });
      });
    },
  };
  child.on('exit', (code, signal) => {
    hub.exited = `code ${String(code)}, signal ${String(signal)}`;
  });
  hubRef = hub;
  return hub;
}

async function stopHub(hub: Hub): Promise<void> {
  if (hub.exited !== undefined) return;
  const exited = new Promise<void>((resolve) => {
    hub.child.once('exit', () => {
      resolve();
    });
  });
  if (hub.child.connected) hub.child.disconnect();
  else hub.child.kill('SIGTERM');
  const timer = setTimeout(() => hub.child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- findings

interface Finding {
  kind: string;
  detail: string;
  case: FuzzCase | undefined;
  result: ProbeResult | undefined;
  file: string | undefined;
}

const findings: Finding[] = [];
const signatures = new Map<string, number>();
const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${String(seed)}`;
const findingsDir = join(args['findings-dir'], runId);
const MAX_SAVED = 100;
const SAVED_PER_SIGNATURE = 3;
let saved = 0;

function escapeBytes(bytes: Buffer, max = 600): string {
  const text = bytes.subarray(0, max).toString('latin1');
  const shown = JSON.stringify(text).slice(1, -1);
  return bytes.length > max ? `${shown}… (${String(bytes.length)} bytes)` : shown;
}

function report(
  hub: Hub | undefined,
  kind: string,
  detail: string,
  c?: FuzzCase,
  result?: ProbeResult,
  since?: number,
): void {
  const status = result?.responses.find((r) => r.status >= 500)?.status;
  const what = kind === 'error-log' ? (detail.split(';')[0] ?? '') : '';
  // A log line cannot be tied to one case: one signature per message.
  const target = kind === 'error-log' ? '' : (c?.target ?? '');
  const signature = `${kind}:${String(status ?? '')}:${target}:${what}`;
  const count = (signatures.get(signature) ?? 0) + 1;
  signatures.set(signature, count);
  const finding: Finding = { kind, detail, case: c, result, file: undefined };
  findings.push(finding);
  if (count > SAVED_PER_SIGNATURE || saved >= MAX_SAVED) return;
  saved += 1;
  mkdirSync(findingsDir, { recursive: true });
  const base = join(findingsDir, `${String(saved)}-${kind}`);
  const stderr = (hub?.stderr ?? [])
    .filter((l) => since === undefined || l.at >= since)
    .slice(-30)
    .map((l) => l.line);
  const json = {
    kind,
    detail,
    seed,
    reproduce:
      c === undefined
        ? undefined
        : [
            `npm run fuzz -- --replay ${relative(ROOT, `${base}.json`)}`,
            `npm run fuzz -- --seed ${String(seed)} --targets ${targets.join(',')} --case ${String(c.index)}`,
          ],
    case:
      c === undefined
        ? undefined
        : {
            ...c,
            chunks: c.chunks.map((b) => b.toString('base64')),
            preview: escapeBytes(Buffer.concat(c.chunks)),
          },
    result,
    hubStderr: stderr,
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  if (c !== undefined) writeFileSync(`${base}.bin`, Buffer.concat(c.chunks));
  finding.file = relative(ROOT, `${base}.json`);
}

// ---------------------------------------------------------------- evaluation

const sent = new Map<string, number>();
/** Start times of the cases whose owed answer never came (to date a stall). */
const timedOutSince: number[] = [];
const durations = new Map<string, number>();
/** Indexes of the cases that opened an event stream (leak candidates). */
const opened: number[] = [];
const statuses = new Map<string, Map<string, number>>();
const slowest: { ms: number; c: FuzzCase }[] = [];
let residents = 0;
const releases = new Set<() => void>();

function count(target: string, key: string): void {
  let map = statuses.get(target);
  if (map === undefined) {
    map = new Map<string, number>();
    statuses.set(target, map);
  }
  map.set(key, (map.get(key) ?? 0) + 1);
}

function evaluate(hub: Hub, c: FuzzCase, result: ProbeResult, since: number): void {
  sent.set(c.target, (sent.get(c.target) ?? 0) + 1);
  durations.set(c.target, (durations.get(c.target) ?? 0) + result.totalMs);
  if (result.responses.some((r) => r.sse) && opened.length < 20_000) opened.push(c.index);
  for (const response of result.responses) {
    count(c.target, response.sse ? `${String(response.status)} (stream)` : String(response.status));
    if (response.status >= 500) {
      report(
        hub,
        '5xx',
        `HTTP ${String(response.status)}: ${response.excerpt.split('\r\n')[0] ?? ''}`,
        c,
        result,
        since,
      );
    }
  }
  if (result.responses.length === 0)
    count(c.target, result.reset ? 'reset' : result.closedByServer ? 'closed' : 'none');
  const answered =
    result.responses.length >= c.owed || result.responses.some((r) => r.sse || r.close);
  if (c.owed > 0 && !answered && hub.exited === undefined) {
    if (result.timedOut) {
      timedOutSince.push(since);
      if (timedOutSince.length > 1000) timedOutSince.splice(0, 500);
      report(
        hub,
        'no-response',
        `no answer within ${String(deadlineMs)} ms (${String(result.responses.length)}/${String(c.owed)} answers)`,
        c,
        result,
        since,
      );
    } else if (result.closedByServer) {
      report(
        hub,
        'closed-without-response',
        `closed after ${String(result.responses.length)}/${String(c.owed)} answers${result.reset ? ' (reset)' : ''}`,
        c,
        result,
        since,
      );
    }
  }
  if (c.owed > 0 && result.firstByteMs !== undefined) {
    slowest.push({ ms: result.firstByteMs, c });
    slowest.sort((a, b) => b.ms - a.ms);
    slowest.length = Math.min(slowest.length, 8);
  }
}

function probeOptions(hub: Hub): Parameters<typeof probe>[1] {
  return {
    port: hub.port,
    deadlineMs,
    idleMs: 500,
    mayHold: (release) => {
      if (residents >= maxResidents) return false;
      residents += 1;
      releases.add(release);
      return true;
    },
    onHoldEnd: () => {
      residents -= 1;
    },
  };
}

function pickTarget(rng: Rng): TargetName {
  const total = targets.reduce((sum, t) => sum + WEIGHTS[t], 0);
  let r = rng.next() * total;
  for (const t of targets) {
    r -= WEIGHTS[t];
    if (r < 0) return t;
  }
  return targets[0] ?? 'head';
}

async function caseAt(index: number, port: number): Promise<FuzzCase> {
  const rng = Rng.forCase(seed, index);
  return generate(pickTarget(rng), index, rng, { port });
}

const HEALTHZ = (port: number): FuzzCase => ({
  index: -1,
  target: 'head',
  label: 'GET /healthz (the driver)',
  chunks: [
    Buffer.from(
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${String(port)}\r\nConnection: close\r\n\r\n`,
    ),
  ],
  gapMs: 0,
  owed: 1,
  methods: ['GET'],
  end: 'wait',
  holdMs: 0,
});

async function healthz(
  hub: Hub,
): Promise<{ ms: number; subscribers: number | undefined; ok: boolean }> {
  const result = await probe(HEALTHZ(hub.port), { ...probeOptions(hub), mayHold: () => false });
  const response = result.responses[0];
  const body = response?.excerpt.split('\r\n\r\n')[1] ?? '';
  const subscribers = /"subscribers":(\d+)/.exec(body)?.[1];
  return {
    ms: result.totalMs,
    subscribers: subscribers === undefined ? undefined : Number(subscribers),
    ok: response !== undefined && !result.timedOut,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- modes

async function runOne(hub: Hub, c: FuzzCase): Promise<void> {
  console.log(`case ${String(c.index)} [${c.target}] ${c.label}`);
  console.log(`owed ${String(c.owed)}; bytes: ${escapeBytes(Buffer.concat(c.chunks), 2000)}`);
  const since = performance.now();
  const result = await probe({ ...c, holdMs: 0 }, probeOptions(hub));
  await sleep(500);
  if (hub.exited !== undefined)
    report(hub, 'crash', `the hub exited (${hub.exited})`, c, result, since);
  else evaluate(hub, c, result, since);
  if (hub.exited === undefined) {
    await sleep(500);
    const health = await healthz(hub);
    if (health.subscribers !== undefined && health.subscribers > 0) {
      report(
        hub,
        'leak',
        `${String(health.subscribers)} subscribers still counted after the case closed its connection`,
        c,
        result,
        since,
      );
    }
  }
  for (const r of result.responses) console.log(`→ ${r.excerpt.split('\r\n')[0] ?? ''}`);
  console.log(
    `responses ${String(result.responses.length)}, closed ${String(result.closedByServer)}, reset ${String(result.reset)}, timed out ${String(result.timedOut)}, ${result.totalMs.toFixed(0)} ms`,
  );
}

async function fuzz(hub: Hub): Promise<void> {
  await sleep(500);
  const baseline = await hub.memory();
  let peak = baseline ?? 0;
  console.log(
    `hub on 127.0.0.1:${String(hub.port)} (pid ${String(hub.child.pid)}), seed ${String(seed)}, ${String(seconds)} s, concurrency ${String(concurrency)}, targets ${targets.join(',')}`,
  );
  if (baseline !== undefined)
    console.log(`hub RSS at start: ${(baseline / 2 ** 20).toFixed(1)} MiB`);
  const started = performance.now();
  const endAt = started + seconds * 1000;
  /** Shared by the workers and the monitor (an object, so no narrowing across awaits). */
  const run = { stop: false };
  const stopped = (): boolean => run.stop || hub.exited !== undefined;
  let next = fromIndex;
  const inFlight = new Map<number, { c: FuzzCase; since: number }>();
  /** The cases started last, with their start times (for crash and stall suspects). */
  const recent: { c: FuzzCase; since: number }[] = [];

  const onCrash = (): void => {
    if (run.stop) return;
    run.stop = true;
    const suspects = [...inFlight.values()];
    const first = suspects[0];
    report(
      hub,
      'crash',
      `the hub exited (${hub.exited ?? '?'}) with ${String(suspects.length)} cases in flight: ${suspects.map((s) => s.c.index).join(', ')}`,
      first?.c,
      undefined,
      first?.since,
    );
    for (const s of suspects.slice(1))
      report(hub, 'crash-suspect', 'in flight when the hub exited', s.c, undefined, s.since);
    for (const r of recent.slice(-10)) {
      report(hub, 'crash-recent', 'sent shortly before the hub exited', r.c, undefined, r.since);
    }
  };
  hub.child.once('exit', onCrash);
  onStderrLine = (line) => {
    let entry: { level?: unknown; status?: unknown; msg?: unknown; err?: { message?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = { level: 50, msg: line };
    }
    const status = typeof entry.status === 'number' ? entry.status : 0;
    if ((typeof entry.level === 'number' && entry.level >= 50) || status >= 500) {
      const suspects = [...inFlight.values()].map((s) => s.c.index);
      report(
        hub,
        'error-log',
        `hub logged: ${String(entry.msg)}${status === 0 ? '' : ` (status ${String(status)})`}: ${typeof entry.err?.message === 'string' ? entry.err.message : ''}; in flight: ${suspects.slice(0, 8).join(', ')}`,
        inFlight.get(suspects[0] ?? -1)?.c,
      );
    }
  };

  const worker = async (): Promise<void> => {
    while (!run.stop && performance.now() < endAt) {
      const index = next++;
      const c = await caseAt(index, hub.port);
      const since = performance.now();
      inFlight.set(index, { c, since });
      recent.push({ c, since });
      if (recent.length > 400) recent.splice(0, 200);
      const result = await probe(c, probeOptions(hub));
      inFlight.delete(index);
      if (hub.exited !== undefined) {
        onCrash();
        return;
      }
      evaluate(hub, c, result, since);
    }
  };

  const monitor = async (): Promise<void> => {
    let lastMemory = performance.now();
    while (!run.stop && performance.now() < endAt) {
      await sleep(5000);
      if (stopped()) return;
      const probeStart = performance.now();
      const health = await healthz(hub);
      if (!health.ok && hub.exited === undefined) {
        // The stall began before the probe: the cases started just before it
        // are the suspects (a stall often needs the state the run built, e.g.
        // resident subscribers: replay the window with --from).
        // When the stall began: the first answer owed that never came, or
        // the oldest case still in flight.
        const window = probeStart - deadlineMs - 10_000;
        const starts = [
          ...timedOutSince.filter((t) => t >= window),
          ...[...inFlight.values()].map((f) => f.since),
        ];
        const stallStart = starts.length > 0 ? Math.min(...starts) : probeStart;
        const suspects = recent
          .filter((r) => r.since >= stallStart - 3000 && r.since <= stallStart + 50)
          .slice(-15);
        const first = suspects[0]?.c.index ?? next;
        report(
          hub,
          'unresponsive',
          `GET /healthz unanswered within ${String(deadlineMs)} ms; suspects (started just before): ${suspects.map((r) => r.c.index).join(', ')}; replay the window: --seed ${String(seed)} --targets ${targets.join(',')} --from ${String(Math.max(0, first - 300))}`,
        );
        for (const r of suspects.reverse()) {
          report(
            hub,
            'unresponsive-suspect',
            'started just before /healthz hung',
            r.c,
            undefined,
            r.since,
          );
        }
      }
      if (performance.now() - lastMemory >= 10_000) {
        lastMemory = performance.now();
        const rss = await hub.memory();
        if (rss !== undefined) {
          peak = Math.max(peak, rss);
          const elapsed = ((performance.now() - started) / 1000).toFixed(0);
          const total = [...sent.values()].reduce((a, b) => a + b, 0);
          console.log(
            `[${elapsed} s] ${String(total)} cases, ${String(residents)} resident streams, hub RSS ${(rss / 2 ** 20).toFixed(1)} MiB, /healthz ${health.ms.toFixed(0)} ms, findings ${String(findings.length)}`,
          );
          if (
            baseline !== undefined &&
            rss > baseline + rssBoundBytes &&
            !findings.some((f) => f.kind === 'memory')
          ) {
            report(
              hub,
              'memory',
              `hub RSS ${(rss / 2 ** 20).toFixed(1)} MiB > start ${(baseline / 2 ** 20).toFixed(1)} MiB + ${String(rssBoundBytes / 2 ** 20)} MiB`,
              recent.at(-1)?.c,
            );
          }
        }
      }
    }
  };

  await Promise.all([...Array.from({ length: concurrency }, worker), monitor()]);
  run.stop = true;
  hub.child.off('exit', onCrash);

  // Everyone gone: held streams closed, then the hub must count no subscriber.
  for (const release of releases) release();
  releases.clear();
  if (hub.exited === undefined) {
    await sleep(2000);
    const health = await healthz(hub);
    if (!health.ok) report(hub, 'unresponsive', 'GET /healthz unanswered after the run');
    else if (health.subscribers !== undefined && health.subscribers > 0) {
      report(
        hub,
        'leak',
        `${String(health.subscribers)} subscribers still counted after every client left`,
      );
      await findLeaks(hub, health.subscribers);
    }
    const rss = await hub.memory();
    if (rss !== undefined) {
      peak = Math.max(peak, rss);
      if (
        baseline !== undefined &&
        rss > baseline + rssBoundBytes &&
        !findings.some((f) => f.kind === 'memory')
      ) {
        report(
          hub,
          'memory',
          `hub RSS ${(rss / 2 ** 20).toFixed(1)} MiB at the end > start + ${String(rssBoundBytes / 2 ** 20)} MiB`,
        );
      }
      console.log(
        `hub RSS: start ${((baseline ?? 0) / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB, end ${(rss / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  }
}

/**
 * Replays the cases that opened a stream one at a time (each closed at once,
 * then `/healthz`) and reports those after which the hub counts one more
 * subscriber. Bounded: 60 s, 3 reproducers.
 */
async function findLeaks(hub: Hub, start: number): Promise<void> {
  console.log(
    `leak: replaying ${String(opened.length)} cases that opened a stream, one at a time…`,
  );
  const until = performance.now() + 60_000;
  let count = start;
  let found = 0;
  for (const index of opened) {
    if (performance.now() > until || found >= 3 || hub.exited !== undefined) break;
    const c = await caseAt(index, hub.port);
    const since = performance.now();
    const result = await probe({ ...c, holdMs: 0 }, probeOptions(hub));
    await sleep(150);
    const health = await healthz(hub);
    if (health.subscribers !== undefined && health.subscribers > count) {
      found += 1;
      report(
        hub,
        'leak',
        `one more subscriber (${String(health.subscribers)}) after this case closed its connection`,
        c,
        result,
        since,
      );
    }
    count = health.subscribers ?? count;
  }
}

function summary(): void {
  console.log('\n== requests per target (statuses)');
  for (const t of TARGETS) {
    const n = sent.get(t);
    if (n === undefined) continue;
    const hist = [...(statuses.get(t) ?? new Map<string, number>()).entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}:${String(v)}`)
      .join(' ');
    const mean = (durations.get(t) ?? 0) / n;
    console.log(
      `${t.padEnd(10)} ${String(n).padStart(7)}  ${mean.toFixed(0).padStart(5)} ms/case  ${hist}`,
    );
  }
  if (slowest.length > 0) {
    console.log('\n== slowest first bytes (owed answers)');
    for (const s of slowest)
      console.log(
        `${s.ms.toFixed(0).padStart(6)} ms  case ${String(s.c.index)} [${s.c.target}] ${s.c.label.slice(0, 140)}`,
      );
  }
  console.log(`\n== findings: ${String(findings.length)}`);
  const byKind = new Map<string, Finding[]>();
  for (const f of findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  for (const [kind, list] of byKind) {
    console.log(`${kind}: ${String(list.length)}`);
    for (const f of list.filter((x) => x.file !== undefined).slice(0, 10)) {
      console.log(`  ${f.detail.slice(0, 160)}`);
      if (f.case !== undefined)
        console.log(
          `    case ${String(f.case.index)} [${f.case.target}] ${f.case.label.slice(0, 160)}`,
        );
      console.log(`    saved: ${f.file ?? ''}`);
    }
  }
}

async function main(): Promise<void> {
  let hub: Hub;
  try {
    hub = await startHub();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  try {
    if (args.replay !== undefined) {
      const saved = JSON.parse(readFileSync(args.replay, 'utf8')) as {
        case?: Omit<FuzzCase, 'chunks'> & { chunks: string[] };
      };
      if (saved.case === undefined) throw new Error(`${args.replay} holds no case`);
      await runOne(hub, {
        ...saved.case,
        chunks: saved.case.chunks.map((b) => Buffer.from(b, 'base64')),
      });
    } else if (args.case !== undefined) {
      await runOne(
        hub,
        await caseAt(numberArg('case', args.case, 0, Number.MAX_SAFE_INTEGER), hub.port),
      );
    } else {
      await fuzz(hub);
    }
  } finally {
    await stopHub(hub);
  }
  summary();
  if (findings.length > 0) {
    console.log(`\nfindings saved under ${relative(ROOT, findingsDir)}/ (seed ${String(seed)})`);
    process.exitCode = 1;
  }
}

await main();
