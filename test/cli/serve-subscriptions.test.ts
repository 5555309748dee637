/**
 * `ssehub serve --subscriptions`: on with `--dev` (so `npm start`, `serve
 * --dev --demo`, shows who is connected on the dashboard), off otherwise;
 * the dev subscriber token the page gets may read the list; a bad
 * `--subscriptions-lease` exits 2 naming the flag.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribeUrl, Subscriber, within } from '../hub-server/helpers.js';
import { cli, serve, type Served } from './helpers.js';

const METADATA = '/.well-known/oauth-protected-resource/.well-known/mercure';
const SUBS = '/.well-known/mercure/subscriptions';

async function stop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  assert.equal(await within(served.exit, 'exit', 10_000), 0);
}

void describe('ssehub serve --subscriptions', () => {
  void test('--dev turns it on: the metadata says so and the dev subscriber token reads the list', async () => {
    const served = await serve(['--dev']);
    try {
      const metadata = (await (await fetch(`${served.base}${METADATA}`)).json()) as Record<
        string,
        unknown
      >;
      assert.equal(metadata.mercure_subscriptions, true);
      const tokens = (await (await fetch(`${served.base}/dev-tokens.json`)).json()) as {
        subscriberToken: string;
      };
      const subscriber = new Subscriber(subscribeUrl(served.hubUrl, ['https://example.com/cli']));
      await subscriber.opened;
      let matches: string[] = [];
      for (let i = 0; i < 50 && !matches.includes('https://example.com/cli'); i++) {
        const response = await fetch(`${served.base}${SUBS}`, {
          headers: { authorization: `Bearer ${tokens.subscriberToken}` },
        });
        assert.equal(response.status, 200);
        const body = (await response.json()) as { subscriptions: { match: string }[] };
        matches = body.subscriptions.map((d) => d.match);
        if (!matches.includes('https://example.com/cli')) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      assert.deepEqual(matches, ['https://example.com/cli']);
      subscriber.close();
    } finally {
      await stop(served);
    }
  });

  void test('off without --dev, and with --dev when SSEHUB_SUBSCRIPTIONS=false', async () => {
    for (const [args, env] of [
      [['--jwt-key', 'a-secret-of-at-least-32-bytes-please!', '--anonymous'], {}],
      [['--dev'], { SSEHUB_SUBSCRIPTIONS: 'false' }],
    ] as const) {
      const served = await serve([...args], env);
      try {
        const metadata = (await (await fetch(`${served.base}${METADATA}`)).json()) as Record<
          string,
          unknown
        >;
        assert.equal('mercure_subscriptions' in metadata, false);
        assert.equal((await fetch(`${served.base}${SUBS}`)).status, 404);
      } finally {
        await stop(served);
      }
    }
  });

  void test('exit 2 on a --subscriptions-lease below 10 ms', async () => {
    const result = await cli(['serve', '--dev', '--subscriptions-lease', '5'], {
      SSEHUB_PORT: '0',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--subscriptions-lease must be an integer/);
  });
});
