/**
 * Tokens for the fuzzer: valid HS256 Mercure tokens signed with the fuzz
 * hub's key (so requests get past authorization and reach the deeper code),
 * validly signed tokens with junk claims, and forged ones (alg none, wrong
 * alg, algorithm confusion, truncated, bit-flipped, huge, not JSON).
 *
 * Deterministic: `iat`/`exp` are fixed, so a case regenerates byte for byte.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Rng } from './rng.js';
import { selector, shortSelector } from './mutators.js';

/** The fuzz hub's HS256 key (32+ bytes). Loopback only: a fixed test key. */
export const FUZZ_JWT_KEY = 'ssehub-fuzz-only-hs256-key-0123456789abcdef';
const KEY = new TextEncoder().encode(FUZZ_JWT_KEY);
/** 2100-01-01: far in the future, fixed for reproducibility. */
const EXP = 4_102_444_800;
const IAT = 1_700_000_000;

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A valid HS256 token with `payload` (plus fixed iat/exp unless given). */
export function sign(payload: Record<string, unknown>): Promise<string> {
  return new SignJWT({ iat: IAT, exp: EXP, ...payload })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(KEY);
}

/** An HMAC-signed token with an arbitrary header and raw payload text. */
function hmacToken(header: Record<string, unknown>, payloadText: string, hash = 'sha256'): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payloadText)}`;
  const signature = createHmac(hash, KEY).update(input).digest('base64url');
  return `${input}.${signature}`;
}

function nested(depth: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Mercure claims with selectors, sometimes hostile ones. */
function claims(rng: Rng, kind: 'publish' | 'subscribe'): Record<string, unknown> {
  const list = rng.chance(0.5)
    ? ['*']
    : Array.from({ length: rng.range(1, 5) }, () => selector(rng));
  return { mercure: { [kind]: list, ...(rng.chance(0.2) ? { payload: { user: 'fuzz' } } : {}) } };
}

/** What kind of token a case carries, for the summary. */
export type TokenKind = 'valid' | 'junk-claims' | 'forged' | 'none';

/**
 * A token for `kind` requests: usually valid (so the request reaches the
 * handler), otherwise junk claims under a valid signature, or forged.
 */
export async function token(
  rng: Rng,
  kind: 'publish' | 'subscribe',
): Promise<{ token: string; tokenKind: TokenKind; label: string }> {
  const r = rng.next();
  if (r < 0.05) {
    // Deeper than JSON.stringify can write (and maybe than the hub can parse).
    const depth = rng.pick([20_000, 100_000]);
    const text = `{"iat":${String(IAT)},"exp":${String(EXP)},"mercure":{"${kind}":${'['.repeat(depth)}"*"${']'.repeat(depth)}}}`;
    return {
      token: hmacToken({ alg: 'HS256', typ: 'JWT' }, text),
      tokenKind: 'junk-claims',
      label: `junk claims: nesting depth ${String(depth)}`,
    };
  }
  if (r < 0.55) return { token: await sign(claims(rng, kind)), tokenKind: 'valid', label: 'valid' };
  if (r < 0.75) {
    const junk = rng.pick<[string, unknown]>([
      ['mercure: string', 'x'],
      ['mercure: null', null],
      [`${kind}: string`, { [kind]: '*' }],
      [`${kind}: objects`, { [kind]: [{}, [], null, 1, true, { a: '*' }] }],
      [`${kind}: deep nesting`, { [kind]: nested(rng.pick([100, 1000]), '*') }],
      [
        `${kind}: 2000 selectors`,
        { [kind]: Array.from({ length: 2000 }, () => shortSelector(rng)) },
      ],
      ['huge payload', { [kind]: ['*'], payload: 'x'.repeat(rng.pick([5000, 12_000, 200_000])) }],
      ['__proto__', JSON.parse(`{"__proto__": {"${kind}": ["*"]}}`) as unknown],
    ]);
    const extra = rng.pick<Record<string, unknown>>([
      {},
      { exp: 'tomorrow' },
      { exp: 1 },
      { nbf: EXP },
      { iat: -1 },
      { exp: 1e308 },
    ]);
    return {
      token: await sign({ mercure: junk[1], ...extra }),
      tokenKind: 'junk-claims',
      label: `junk claims: ${junk[0]}`,
    };
  }
  const valid = await sign(claims(rng, kind));
  const payload = JSON.stringify({ iat: IAT, exp: EXP, ...claims(rng, kind) });
  const forged = rng.pick<[string, () => string]>([
    ['alg none', () => `${b64('{"alg":"none","typ":"JWT"}')}.${b64(payload)}.`],
    ['alg None', () => `${b64('{"alg":"None"}')}.${b64(payload)}.`],
    ['HS512 same key', () => hmacToken({ alg: 'HS512' }, payload, 'sha512')],
    ['RS256 header, HMAC signature', () => hmacToken({ alg: 'RS256' }, payload)],
    ['truncated', () => valid.slice(0, rng.int(valid.length))],
    [
      'bit flip',
      () => {
        const at = rng.int(valid.length);
        return valid.slice(0, at) + (valid[at] === 'A' ? 'B' : 'A') + valid.slice(at + 1);
      },
    ],
    ['payload not JSON', () => hmacToken({ alg: 'HS256' }, '{"mercure":')],
    ['payload array', () => hmacToken({ alg: 'HS256' }, '[1,2,3]')],
    ['header junk', () => hmacToken({ alg: 'HS256', crit: ['b64'], b64: false }, payload)],
    ['kid traversal', () => hmacToken({ alg: 'HS256', kid: '../../../../dev/null' }, payload)],
    ['jwk embedded', () => hmacToken({ alg: 'HS256', jwk: { kty: 'oct', k: b64('x') } }, payload)],
    ['four parts', () => `${valid}.${valid}`],
    ['empty', () => ''],
    ['dots', () => '...'],
    ['huge', () => `${b64('{"alg":"HS256"}')}.${'A'.repeat(rng.pick([9000, 15_000, 70_000]))}.x`],
    ['non-base64', () => `${valid.slice(0, 10)}!@#$%^&*().${valid.slice(12)}`],
  ]);
  return { token: forged[1](), tokenKind: 'forged', label: `forged: ${forged[0]}` };
}
