/**
 * `ssehub serve --dev --dev-tls`: the banner's curl lines carry
 * `--cacert <the certificate>` and work as printed; the temporary folder of
 * the certificate (key.pem with it) is gone once the hub has shut down on
 * SIGINT or SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { within } from '../hub-server/helpers.js';
import { serve } from './helpers.js';

const run = promisify(execFile);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

void describe('ssehub serve --dev --dev-tls', { timeout: 60_000 }, () => {
  const HS384_KEY = 'k'.repeat(48);
  for (const [signal, args, alg] of [
    ['SIGINT', [], 'HS256'],
    ['SIGTERM', ['--jwt-alg', 'HS384', '--jwt-key', HS384_KEY], 'HS384'],
  ] as const) {
    void test(`the banner's curl names the certificate; ${signal} removes its folder (${alg})`, async () => {
      const served = await serve(['--dev', '--dev-tls', ...args]);
      const ready = served.logs.find((l) => String(l.msg).startsWith('listening on'));
      assert.ok(ready);
      const certificate = String(ready.certificate);
      const folder = dirname(certificate);
      assert.ok(existsSync(join(folder, 'key.pem')), 'the key is there while the hub runs');

      await until(() => served.stderr().includes('Subscribe:\n  curl'), 'the banner');
      const lines = served.stderr().split('\n');
      assert.ok(
        lines.some((line) => line.startsWith(`  JWT key (${alg}): `)),
        `the banner names the key's algorithm, ${alg}`,
      );
      const publish = lines[lines.indexOf('Publish:') + 1]?.trim() ?? '';
      const subscribe = lines[lines.indexOf('Subscribe:') + 1]?.trim() ?? '';
      assert.ok(publish.startsWith(`curl --cacert '${certificate}' -d 'topic=`), publish);
      assert.ok(subscribe.startsWith(`curl --cacert '${certificate}' -N 'https://`), subscribe);
      // The line works as printed: curl trusts the hub and the hub answers with the id.
      const { stdout } = await run('sh', ['-c', `${publish} --silent --show-error --fail`], {
        timeout: 15_000,
      });
      assert.match(stdout, /^urn:uuid:[0-9a-f-]{36}$/);
      const logged = served.logs.find((l) => typeof l.curl === 'string');
      assert.equal(logged?.curl, publish, 'the log line carries the same curl');

      served.child.kill(signal);
      assert.equal(await within(served.exit, 'exit', 15_000), 0);
      assert.equal(existsSync(folder), false, `${folder} removed after ${signal}`);
    });
  }
});
