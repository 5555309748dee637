/**
 * The container image, without a container runtime: base images cannot be
 * pulled where the tests run, so this test reads the Dockerfile and performs
 * its runtime stage on this machine, in a temporary folder standing for the
 * image's file system.
 *
 * - The build stage (`npm ci`, `npm run build`, `npm pack`) is what every
 *   test run already did up to the pack: dist/ must be built
 *   (`npm run build`); the test packs it as that stage does.
 * - The runtime stage's COPY steps are copied, its install RUN step runs as
 *   written (npm against the registry, its own npm cache), the one RUN that
 *   writes outside the work folder (`/data`) is mirrored, and a RUN the test
 *   does not know fails it (mirror it here).
 * - The ENTRYPOINT then runs with the image's ENV and SSEHUB_* variables
 *   only (no flag: every setting from the environment), as an unprivileged
 *   user (`nobody` when the test runs as root) in a folder it cannot write;
 *   /healthz answers, the HEALTHCHECK command passes, and SIGTERM ends it
 *   with exit 0.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../cli/helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  steps: Instruction[];
}

/** The Dockerfile's stages and instructions (continuations joined, comments dropped). */
function readDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? '', steps: [] });
    } else if (op !== 'ARG' || stages.length > 0) {
      const stage = stages.at(-1);
      assert.ok(stage, `${op} before any FROM`);
      stage.steps.push({ op, args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

const stages = readDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1) as Stage;
const steps = (op: string): string[] =>
  runtime.steps.filter((step) => step.op === op).map((step) => step.args);

const IMAGE = mkdtempSync(join(tmpdir(), 'ssehub-image-'));
after(() => {
  rmSync(IMAGE, { recursive: true, force: true });
});

/** As root, the server runs as `nobody`; otherwise as the current (unprivileged) user. */
const AS_ROOT = process.getuid?.() === 0;
const USER = AS_ROOT ? { uid: 65534, gid: 65534 } : {};

void describe(
  'the container image, its steps run outside a container',
  { timeout: 300_000 },
  () => {
    void it('is built in stages and runs `ssehub serve` as a non-root user, healthcheck by node', () => {
      assert.deepEqual(
        stages.map((stage) => stage.name),
        ['build', 'runtime'],
      );
      const build = stages[0] as Stage;
      assert.ok(build.steps.some((s) => s.op === 'RUN' && s.args.startsWith('npm ci')));
      assert.ok(!steps('RUN').some((args) => /\bnpm ci\b(?!.*--omit=dev)/.test(args)));
      const user = steps('USER').at(-1);
      assert.ok(user !== undefined && !['root', '0'].includes(user), `USER ${String(user)}`);
      assert.deepEqual(JSON.parse(steps('ENTRYPOINT')[0] ?? 'null'), [
        'node',
        'dist/cli/main.js',
        'serve',
      ]);
      const check = /\bCMD (\[.*\])$/.exec(steps('HEALTHCHECK')[0] ?? '')?.[1];
      assert.equal((JSON.parse(check ?? '[]') as string[])[0], 'node', 'no curl in slim images');
      assert.match(steps('ENV').join(' '), /\bSSEHUB_HOST=0\.0\.0\.0\b/);
      const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
      assert.match(ignored, /^\*$/m, '.dockerignore lets in only what the build copies');
    });

    void it('installs, starts from the environment alone, answers /healthz, and stops on SIGTERM', async () => {
      assert.ok(
        existsSync(join(ROOT, 'dist/cli/main.js')),
        'dist/ is missing: run `npm run build`',
      );
      // The build stage's product: the package as `npm pack` makes it.
      const build = join(IMAGE, 'src');
      mkdirSync(build, { recursive: true });
      await run('npm', ['pack', '--pack-destination', build], { cwd: ROOT });
      const tarball = readdirSync(build).find((name) => /^ssehub-.*\.tgz$/.test(name));
      assert.ok(tarball);
      renameSync(join(build, tarball), join(build, 'ssehub.tgz'));

      const workdir = steps('WORKDIR').at(-1) ?? '/';
      const app = join(IMAGE, workdir);
      mkdirSync(app, { recursive: true });
      for (const args of steps('COPY')) {
        const from = /^--from=(\S+) (\S+) (\S+)$/.exec(args);
        const plain = /^(\S+) (\S+)$/.exec(args);
        const into = (source: string, target: string): string =>
          join(app, target, target.endsWith('/') ? basename(source) : '');
        if (from !== null) {
          assert.equal(from[1], 'build');
          const [, , source = '', target = ''] = from;
          copyFileSync(join(IMAGE, source), into(source, target));
          continue;
        }
        assert.ok(plain, `COPY ${args}: not a step this test knows`);
        const [, source = '', target = ''] = plain;
        copyFileSync(join(ROOT, source), into(source, target));
      }
      const npmCache = join(IMAGE, 'npm-cache'); // never the machine's own cache
      for (const args of steps('RUN')) {
        if (args === 'mkdir -p /data && chown node:node /data') {
          mkdirSync(join(IMAGE, 'data'));
          if (AS_ROOT) chownSync(join(IMAGE, 'data'), 65534, 65534);
          continue;
        }
        assert.ok(!/(^|\s)\/(?!dev\/null)/.test(args), `RUN ${args}: writes outside ${workdir}`);
        await run('sh', ['-c', args], {
          cwd: app,
          env: { PATH: process.env.PATH, HOME: IMAGE, npm_config_cache: npmCache },
          timeout: 240_000,
        });
      }
      // Nothing of the build stage came along; the transports' peers did.
      assert.ok(
        existsSync(join(app, 'dist/cli/main.js')) && existsSync(join(app, 'web/index.html')),
      );
      for (const name of ['redis', 'lmdb', 'jose']) {
        assert.ok(existsSync(join(app, 'node_modules', name)), `${name} installed`);
      }
      for (const name of ['typescript', 'tsx', 'eslint', 'src']) {
        assert.ok(
          !existsSync(join(app, 'node_modules', name)) && !existsSync(join(app, name)),
          name,
        );
      }
      // The server's user reads but cannot write the app.
      await run('chmod', ['-R', 'a+rX,a-w', app]);
      chmodSync(IMAGE, 0o755);

      const port = await freePort();
      const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const args of steps('ENV')) {
        for (const [, name = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) env[name] = value;
      }
      Object.assign(env, {
        SSEHUB_HOST: '127.0.0.1', // loopback in the test; the image listens on 0.0.0.0
        SSEHUB_PORT: String(port),
        SSEHUB_JWT_KEY: 'a-secret-of-at-least-32-bytes-please!',
        SSEHUB_ANONYMOUS: 'true',
        SSEHUB_TRANSPORT: `file:${join(IMAGE, 'data')}`,
        SSEHUB_HISTORY_SIZE: '50',
      });
      const [command, ...args] = JSON.parse(steps('ENTRYPOINT')[0] ?? '[]') as string[];
      assert.equal(command, 'node');
      const child = spawn(process.execPath, args, { cwd: app, env, ...USER, stdio: 'pipe' });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = once(child, 'exit');
      try {
        const base = `http://127.0.0.1:${port}`;
        let health: Response | undefined;
        for (let i = 0; i < 100 && health === undefined && child.exitCode === null; i++) {
          health = await fetch(`${base}/healthz`).catch(() => undefined);
          if (health === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(health, `no answer on ${base}:\n${output}`);
        assert.equal(health.status, 200);
        const body = (await health.json()) as { status: string; transport: string };
        assert.deepEqual([body.status, body.transport], ['ok', 'file']);

        const healthcheck = JSON.parse(
          /\bCMD (\[.*\])$/.exec(steps('HEALTHCHECK')[0] ?? '')?.[1] ?? '[]',
        ) as string[];
        const probe = (): Promise<number> =>
          run(process.execPath, healthcheck.slice(1), { env, ...USER }).then(
            () => 0,
            (error: unknown) => (error as { code?: number }).code ?? -1,
          );
        assert.equal(await probe(), 0, 'HEALTHCHECK passes');

        child.kill('SIGTERM');
        const [code] = (await exited) as [number | null];
        assert.equal(code, 0, output);
        assert.match(output, /signal received: shutting down/);
        assert.equal(await probe(), 1, 'HEALTHCHECK fails once the hub is gone');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await run('chmod', ['-R', 'u+w', app]).catch(() => undefined);
      }
    });
  },
);
