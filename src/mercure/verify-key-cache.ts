/**
 * jose verifies with WebCrypto; handed a node `KeyObject` it converts it to
 * a `CryptoKey` on every call, which measured as half the CPU of an HTTP
 * publish (41–46 µs per check against ~20 µs with a converted key; see
 * docs/benchmarks.md, Redis transport). The conversion is done once per key
 * here; a key WebCrypto cannot import is used as it is.
 */
import { webcrypto, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm, JwtKey } from './jwt-key.js';

type ImportParams = Parameters<typeof webcrypto.subtle.importKey>[2];

function importParams(alg: JwtAlgorithm): ImportParams {
  const hash = `SHA-${alg.slice(2)}`;
  switch (alg.slice(0, 2)) {
    case 'HS':
      return { name: 'HMAC', hash };
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5', hash };
    case 'PS':
      return { name: 'RSA-PSS', hash };
    default:
      return { name: 'ECDSA', namedCurve: alg === 'ES512' ? 'P-521' : `P-${alg.slice(2)}` };
  }
}

async function toCryptoKey(key: JwtKey): Promise<webcrypto.CryptoKey | KeyObject> {
  try {
    const params = importParams(key.alg);
    return key.key.type === 'secret'
      ? await webcrypto.subtle.importKey('raw', key.key.export(), params, false, ['verify'])
      : await webcrypto.subtle.importKey(
          'spki',
          key.key.export({ type: 'spki', format: 'der' }),
          params,
          false,
          ['verify'],
        );
  } catch {
    return key.key;
  }
}

const cache = new WeakMap<JwtKey, Promise<webcrypto.CryptoKey | KeyObject>>();

/** The key to verify with: converted for WebCrypto once, then reused. */
export function verifyKeyOf(key: JwtKey): Promise<webcrypto.CryptoKey | KeyObject> {
  let converted = cache.get(key);
  if (converted === undefined) {
    converted = toCryptoKey(key);
    cache.set(key, converted);
  }
  return converted;
}
