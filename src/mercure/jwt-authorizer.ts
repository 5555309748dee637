/**
 * Subscriber authorization with Mercure JWTs, as an `AuthorizeHook`: the
 * standalone server uses it, and so can `serveHub*` routes
 * (`serveHub(hub, req, res, { authorize: createJwtAuthorizer({ jwtKey }) })`),
 * so both answer a token the same way.
 *
 * [spec] Authorization: the token comes from the `Authorization` header, else
 * the `authorization` query parameter, else the cookie (`authorize.ts`); its
 * `mercure.subscribe` selectors say which private updates the subscriber may
 * receive; its `exp` ends the stream.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#authorization
 */
import { SseError } from '../protocol/sse-error.js';
import { findToken, verifyToken } from './authorize.js';
import type { JwtKey } from './jwt-key.js';
import { resolveMercureOptions, type MercureHandlerOptions } from './options.js';
import { splitTarget } from '../response/request-target.js';
import type { AuthorizeHook } from './subscribe-core.js';

/** What the authorizer needs: the subscriber key and the token rules. */
export interface JwtAuthorizerSettings {
  readonly subscriberKey: JwtKey | undefined;
  readonly anonymous: boolean;
  readonly cookieName: string;
  readonly clockTolerance: number;
}

/** The hook for resolved settings (the standalone server's). */
export function jwtAuthorizer(settings: JwtAuthorizerSettings): AuthorizeHook {
  return async (request) => {
    const found = findToken(request.header, splitTarget(request.url).query, settings.cookieName);
    if (found === undefined) {
      if (settings.anonymous) return undefined;
      throw new SseError(
        'SSE_ERR_UNAUTHORIZED',
        `missing token: send the "${settings.cookieName}" cookie, the "authorization" parameter or "Authorization: Bearer <jwt>"`,
      );
    }
    const key = settings.subscriberKey;
    if (key === undefined) {
      throw new SseError(
        'SSE_ERR_UNAUTHORIZED',
        'subscriber tokens are not accepted: no subscriber key',
      );
    }
    const token = await verifyToken(found.token, key, settings.clockTolerance);
    return {
      subscribe: token.mercure.subscribe,
      payload: token.mercure.payload,
      expiresAt: token.expiresAt,
    };
  };
}

/**
 * An `AuthorizeHook` checking Mercure JWTs with the Mercure endpoint's
 * options (`jwtKey` or `subscriberJwtKey`, `jwtAlg`, `anonymous`,
 * `cookieName`, `clockTolerance`; the others are ignored).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function createJwtAuthorizer(options: MercureHandlerOptions): AuthorizeHook {
  return jwtAuthorizer(resolveMercureOptions(options));
}
