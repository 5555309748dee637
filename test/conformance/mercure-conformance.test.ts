/**
 * Both Mercure conformance suites (re-expressed in mercure-conformance.cases.ts)
 * against ONE `ssehub serve` in its default `both` mode, started as upstream's
 * CI starts its hub: the secret `!ChangeThisMercureHubJWTSecretKey!`, issuer
 * `https://localhost`, resource identifier
 * `https://localhost/.well-known/mercure`, anonymous subscribers allowed. The
 * 1.0-only cases (a token in the URL, a malformed Authorization header) run
 * against a second hub started with `--protocol 1.0`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type Served } from '../cli/helpers.js';
import {
  conformanceTokens,
  runConformance,
  type ConformanceResult,
} from './mercure-conformance.cases.js';

const SECRET = '!ChangeThisMercureHubJWTSecretKey!';
const ISSUER = 'https://localhost';
const RESOURCE = 'https://localhost/.well-known/mercure';
const FLAGS = [
  '--jwt-key',
  SECRET,
  '--issuer',
  ISSUER,
  '--resource-identifier',
  RESOURCE,
  '--anonymous',
];

function failures(results: readonly ConformanceResult[]): string[] {
  return results
    .filter((r) => r.outcome === 'fail')
    .map((r) => `${r.suite} / ${r.name}: ${r.detail ?? ''}`);
}

void describe('Mercure conformance', () => {
  let both: Served;
  let only10: Served;
  let tokens: Awaited<ReturnType<typeof conformanceTokens>>;
  before(async () => {
    tokens = await conformanceTokens({
      secret: SECRET,
      issuer: ISSUER,
      resourceIdentifier: RESOURCE,
    });
    [both, only10] = await Promise.all([serve(FLAGS), serve([...FLAGS, '--protocol', '1.0'])]);
  });
  after(() => {
    both.child.kill('SIGTERM');
    only10.child.kill('SIGTERM');
  });

  void it('v1.0.0-alpha.3 (delivery) and the draft-derived cases pass on a hub in both mode', async () => {
    const results = await runConformance(both.base, {
      dialect: '1.0',
      mode: 'both',
      publisherToken: tokens.accessToken,
      subscribeOnlyToken: tokens.subscribeOnlyToken,
    });
    assert.deepEqual(failures(results), []);
    assert.ok(results.filter((r) => r.outcome === 'pass').length >= 30, JSON.stringify(results));
    assert.deepEqual(
      results.filter((r) => r.outcome === 'optional-fail' || r.outcome === 'skipped'),
      [],
    );
  });

  void it('v0.24.2 (delivery, legacy mercure claim) passes on the same hub', async () => {
    const results = await runConformance(both.base, {
      dialect: '0.x',
      publisherToken: tokens.legacyToken,
    });
    assert.deepEqual(failures(results), []);
    assert.equal(results.length, results.filter((r) => r.outcome === 'pass').length);
    assert.ok(results.length >= 10);
  });

  void it('the 1.0-only cases pass on a hub started with --protocol 1.0', async () => {
    const results = await runConformance(only10.base, {
      dialect: '1.0',
      mode: '1.0',
      publisherToken: tokens.accessToken,
      subscribeOnlyToken: tokens.subscribeOnlyToken,
    });
    assert.deepEqual(failures(results), []);
    assert.deepEqual(
      results.filter((r) => r.outcome !== 'pass').map((r) => r.name),
      [],
    );
  });
});
