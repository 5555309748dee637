/**
 * `ssehub serve --demo`: the demo publishers run in the hub process (what
 * `npm start` shows at /), their flags are checked and name the flag.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribeUrl, Subscriber, until, within } from '../hub-server/helpers.js';
import { cli, serve } from './helpers.js';

void describe('ssehub serve --demo', () => {
  void test('prices and vital signs arrive on the demo topics', async () => {
    const served = await serve([
      '--dev',
      '--demo',
      '--demo-symbols',
      'AAA,BBB',
      '--demo-price-interval',
      '100',
      '--demo-monitor-interval',
      '200',
    ]);
    const sub = new Subscriber(
      subscribeUrl(served.hubUrl, [
        'https://ssehub.dev/demo/prices/{symbol}',
        'https://ssehub.dev/demo/monitor',
      ]),
      { types: ['price', 'monitor'] },
    );
    try {
      await sub.opened;
      await until(
        () =>
          sub.all.filter((e) => e.type === 'price').length >= 4 &&
          sub.all.some((e) => e.type === 'monitor'),
        'price ticks and a monitor sample',
      );
      const symbols = new Set(
        sub.all
          .filter((e) => e.type === 'price')
          .map((e) => (JSON.parse(e.data) as { symbol: string }).symbol),
      );
      assert.deepEqual([...symbols].sort(), ['AAA', 'BBB']);
    } finally {
      sub.close();
      served.child.kill('SIGTERM');
      assert.equal(await within(served.exit, 'exit', 10_000), 0);
    }
  });

  void test('bad demo values exit 2 naming the flag', async () => {
    const symbols = await cli(['serve', '--dev', '--demo', '--demo-symbols', 'not a symbol!']);
    assert.equal(symbols.code, 2);
    assert.match(symbols.stderr, /--demo-symbols/);
    const interval = await cli(['serve', '--dev', '--demo', '--demo-price-interval', 'soon']);
    assert.equal(interval.code, 2);
    assert.match(interval.stderr, /--demo-price-interval must be an integer/);
  });
});
