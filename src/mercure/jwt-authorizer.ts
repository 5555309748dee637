/**
 * Subscriber authorization with Mercure tokens, as an `AuthorizeHook`: the
 * standalone server uses it, and so can `serveHub*` routes
 * (`serveHub(hub, req, res, { authorize: createJwtAuthorizer({ jwtKey }) })`),
 * so both answer a token the same way.
 *
 * The token ([spec] Authorization, `mercure-auth.ts`): pre-1.0, its
 * `mercure.subscribe` selectors say which private updates the subscriber may
 * receive; 1.0, the `subscribe` grants of its authorization details (exact
 * and URL-pattern matchers, resolved against the hub's URL). Either way its
 * `exp` ends the stream.
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#authorization
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#authorization
 */
import { matcherSelector, selectorValue } from '../hub/selector-key.js';
import { splitTarget } from '../response/request-target.js';
import type { JwtKey } from './jwt-key.js';
import { subscriptionPayload } from './authorization-details.js';
import { authenticate, tokenRequired, type AuthSettings } from './mercure-auth.js';
import { resolveMercureOptions, type MercureHandlerOptions } from './options.js';
import type { AuthorizeHook } from './subscribe-core.js';
import { hubUrlOf } from './subscribe-request.js';

/** What the authorizer needs: the subscriber key and the token rules. */
export interface JwtAuthorizerSettings extends AuthSettings {
  readonly subscriberKey: JwtKey | undefined;
  readonly anonymous: boolean;
}

/** The hook for resolved settings (the standalone server's). */
export function jwtAuthorizer(settings: JwtAuthorizerSettings): AuthorizeHook {
  return async (request) => {
    const place = {
      header: request.header,
      query: splitTarget(request.url).query,
      hubUrl: hubUrlOf(request),
    };
    const found = await authenticate(settings, place, settings.subscriberKey);
    if (found === undefined) {
      if (settings.anonymous) return undefined;
      throw tokenRequired(
        settings,
        place,
        `missing token: send the "${settings.cookieName}" cookie, the "authorization" parameter or "Authorization: Bearer <jwt>"`,
      );
    }
    if (found.dialect === '0.x') {
      const { mercure, expiresAt } = found.token;
      return { subscribe: mercure.subscribe, payload: mercure.payload, expiresAt };
    }
    const token = found.token;
    return {
      subscribe: token.subscribe.map((matcher) =>
        matcherSelector(matcher.spec.type, matcher.spec.value, place.hubUrl),
      ),
      payload: token.details.find((detail) => detail.subscribe && detail.payload !== undefined)
        ?.payload,
      // [spec] Payloads: the first `subscribe` detail matching the
      // subscription's own matcher, read as a topic.
      payloadFor: (selector: string) =>
        subscriptionPayload(token.details, selectorValue(selector)).payload,
      expiresAt: token.expiresAt,
    };
  };
}

/**
 * An `AuthorizeHook` checking Mercure tokens with the Mercure endpoint's
 * options (`jwtKey` or `subscriberJwtKey`, `jwtAlg`, `anonymous`,
 * `protocol`, `issuers`, `resourceIdentifier`, `cookieName`,
 * `clockTolerance`; the others are ignored).
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` naming the option.
 */
export function createJwtAuthorizer(options: MercureHandlerOptions): AuthorizeHook {
  return jwtAuthorizer(resolveMercureOptions(options));
}
