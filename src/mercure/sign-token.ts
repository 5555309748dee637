/**
 * Mints Mercure JWTs: for development (`ssehub token`, the dev mode of
 * `ssehub serve`), for `ssehub publish --jwt-key`, and for applications that
 * issue their own subscriber tokens.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#authorization
 */
import { SignJWT } from 'jose';
import { SseError } from '../protocol/sse-error.js';
import { DEFAULT_JWT_ALG, importSignKey, type JwtAlgorithm, type JwtKeyInput } from './jwt-key.js';

/** Options of {@link signToken}. */
export interface SignTokenOptions {
  /** The HMAC secret (`HS*`) or a PEM private key. */
  key: JwtKeyInput;
  /** @default 'HS256' */
  alg?: JwtAlgorithm | undefined;
  /** Topic selectors the bearer may publish to (`mercure.publish`). @default undefined */
  publish?: readonly string[] | undefined;
  /** Topic selectors of private updates the bearer may receive (`mercure.subscribe`). @default undefined */
  subscribe?: readonly string[] | undefined;
  /** `mercure.payload`: free-form data about the bearer. @default undefined */
  payload?: unknown;
  /**
   * Lifetime: seconds, or a span such as `'30m'`, `'1h'`, `'7d'` (sets `exp`);
   * negative (`-60`, `'-1h'`) for an already expired token (tests).
   *
   * @default undefined (no `exp`: the token never expires)
   */
  expiresIn?: number | string | undefined;
  /** More top-level claims (`sub`, `aud`, …); `mercure` is set from the options above. @default undefined */
  claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Signs a token carrying a `mercure` claim built from `publish`, `subscribe`
 * and `payload` (keys left out when not given), with `iat`.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` for a key that does not fit the
 * algorithm or an invalid `expiresIn`.
 */
export async function signToken(options: SignTokenOptions): Promise<string> {
  const alg = options.alg ?? DEFAULT_JWT_ALG;
  const { key } = importSignKey(options.key, alg, 'key');
  const mercure: Record<string, unknown> = {};
  if (options.publish !== undefined) mercure.publish = [...options.publish];
  if (options.subscribe !== undefined) mercure.subscribe = [...options.subscribe];
  if (options.payload !== undefined) mercure.payload = options.payload;
  const jwt = new SignJWT({ ...options.claims, mercure })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuedAt();
  if (options.expiresIn !== undefined) setLifetime(jwt, options.expiresIn);
  return jwt.sign(key);
}

/**
 * Sets `exp` from a lifetime: seconds, or a span (`'30m'`, `'1h'`, `'7d'`),
 * counted from now; negative (`-60`, `'-1h'`) for an expired token (tests).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming `expiresIn`.
 */
export function setLifetime(jwt: SignJWT, expiresIn: number | string): void {
  const span =
    typeof expiresIn === 'number' || /^-?\d+$/.test(expiresIn) ? `${expiresIn}s` : expiresIn;
  try {
    if (typeof expiresIn === 'number' && !Number.isFinite(expiresIn)) {
      throw new TypeError('not a finite number');
    }
    jwt.setExpirationTime(span);
  } catch (cause) {
    throw new SseError(
      'SSE_ERR_INVALID_OPTION',
      `"expiresIn" must be a number of seconds or a span like "30m", "1h", "7d", got ${JSON.stringify(expiresIn)}`,
      { field: 'expiresIn', cause },
    );
  }
}
