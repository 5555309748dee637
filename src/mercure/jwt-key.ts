/**
 * JWT keys: which algorithms the hub accepts and how a configured key
 * (an HMAC secret, or a PEM key for RSA/ECDSA) becomes something `jose` can
 * verify or sign with.
 *
 * Security contract: a key is bound to exactly one algorithm at start-up, and
 * the verifier accepts tokens signed with that algorithm only. This rules out
 * `alg: none` and algorithm confusion (an RSA public key used as an HMAC
 * secret). The key type is checked against the algorithm here, so a wrong
 * pairing fails at start-up rather than on every request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { SseError } from '../protocol/sse-error.js';

/** The JWS algorithms the hub can be configured with. */
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Default algorithm, as in Mercure. */
export const DEFAULT_JWT_ALG: JwtAlgorithm = 'HS256';

/**
 * A key as configured: for `HS*`, the shared secret (a string is used as its
 * UTF-8 bytes, as Mercure does); for `RS*`/`PS*`/`ES*`, PEM text (a public
 * key to verify; a private key to sign, its public half also verifies), or a
 * node `KeyObject`.
 */
export type JwtKeyInput = string | Uint8Array | KeyObject;

/** A key bound to its algorithm, ready for `jose`. */
export interface JwtKey {
  readonly alg: JwtAlgorithm;
  readonly key: KeyObject;
}

const EC_CURVES: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/** True when `value` names a supported algorithm. */
export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(value);
}

function invalid(option: string, problem: string): SseError {
  return new SseError('SSE_ERR_INVALID_OPTION', `"${option}" ${problem}`, { field: option });
}

function isPem(input: string): boolean {
  return input.trimStart().startsWith('-----BEGIN ');
}

function checkAsymmetric(key: KeyObject, alg: JwtAlgorithm, option: string): void {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    if (type !== 'rsa' && !(alg.startsWith('PS') && type === 'rsa-pss')) {
      throw invalid(option, `must be an RSA key for ${alg}, got key type "${String(type)}"`);
    }
    return;
  }
  const curve = EC_CURVES[alg];
  const actual = key.asymmetricKeyDetails?.namedCurve;
  if (type !== 'ec' || actual !== curve) {
    throw invalid(
      option,
      `must be an EC key on curve ${String(curve)} for ${alg}, got ${type === 'ec' ? `curve ${String(actual)}` : `key type "${String(type)}"`}`,
    );
  }
}

function importKey(
  input: JwtKeyInput,
  alg: JwtAlgorithm,
  option: string,
  use: 'verify' | 'sign',
): JwtKey {
  if (!isJwtAlgorithm(alg)) {
    throw invalid(`${option}Alg`, `must be one of ${JWT_ALGORITHMS.join(', ')}`);
  }
  if (alg.startsWith('HS')) {
    if (typeof input === 'string') {
      if (input === '') throw invalid(option, 'must not be empty');
      if (isPem(input)) {
        throw invalid(option, `is a PEM key, but ${alg} needs a shared secret (set the algorithm)`);
      }
      return { alg, key: createSecretKey(Buffer.from(input, 'utf8')) };
    }
    if (input instanceof Uint8Array) {
      if (input.byteLength === 0) throw invalid(option, 'must not be empty');
      return { alg, key: createSecretKey(input) };
    }
    if (input.type !== 'secret') {
      throw invalid(option, `must be a secret key for ${alg}, got a ${input.type} key object`);
    }
    return { alg, key: input };
  }
  let key: KeyObject;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const pem = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    if (!isPem(pem)) throw invalid(option, `must be a PEM key for ${alg}`);
    try {
      key = use === 'verify' ? createPublicKey(pem) : createPrivateKey(pem);
    } catch (cause) {
      throw new SseError(
        'SSE_ERR_INVALID_OPTION',
        `"${option}" is not a valid PEM ${use === 'verify' ? 'public' : 'private'} key for ${alg}`,
        { field: option, cause },
      );
    }
  } else if (use === 'verify') {
    key = input.type === 'private' ? createPublicKey(input) : input;
  } else {
    key = input;
  }
  if (key.type === 'secret') throw invalid(option, `must be an asymmetric key for ${alg}`);
  if (use === 'sign' && key.type !== 'private') {
    throw invalid(option, `must be a private key to sign ${alg} tokens`);
  }
  checkAsymmetric(key, alg, option);
  return { alg, key };
}

/**
 * Prepares a key that verifies tokens signed with `alg`.
 *
 * @param option the option name reported in errors (`"publisherJwtKey"`)
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming `option` when the key
 * cannot be read or does not fit the algorithm.
 */
export function importVerifyKey(input: JwtKeyInput, alg: JwtAlgorithm, option: string): JwtKey {
  return importKey(input, alg, option, 'verify');
}

/**
 * Prepares a key that signs tokens with `alg` (the shared secret for `HS*`,
 * a private key for the others). Used by `ssehub token` and tests.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming `option`.
 */
export function importSignKey(input: JwtKeyInput, alg: JwtAlgorithm, option: string): JwtKey {
  return importKey(input, alg, option, 'sign');
}
