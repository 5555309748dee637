/**
 * The hub's OAuth 2.0 Protected Resource Metadata (RFC 9728), at the path
 * derived from the hub's URL: `/.well-known/oauth-protected-resource` +
 * the hub path (`/.well-known/oauth-protected-resource/.well-known/mercure`).
 * Served in `1.0` and `both` modes; not in `0.x` mode ([spec] "clients …
 * MAY treat the absence of this metadata as a hint that the hub implements
 * such a [pre-standardization] revision").
 *
 * Members ([spec] Protected Resource Metadata): `resource` (the resource
 * identifier: what a token's `aud` must contain), the Mercure authorization
 * detail type, `bearer_methods_supported: ["header"]` (the cookie is not an
 * RFC 6750 bearer method), `mercure_cookie`, `mercure_matcher_types_supported`,
 * and `mercure_subscriptions` when active subscriptions are on. Public: any
 * origin may read it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#protected-resource-metadata
 */
import { MATCHER_TYPES } from '../../hub/matcher-spec.js';
import { MERCURE_AUTHORIZATION_DETAIL_TYPE } from '../../mercure/authorization-details.js';
import { nodeRequestView } from '../../mercure/answer-node.js';
import { sendBody } from '../../mercure/node-reply.js';
import type { ResolvedMercureOptions } from '../../mercure/options.js';
import type { Route } from './route.js';

/** The metadata path for a hub path (RFC 9728 §3.1: the well-known prefix before the path). */
export function protectedResourcePath(hubPath: string): string {
  return `/.well-known/oauth-protected-resource${hubPath}`;
}

export function protectedResourceRoute(
  settings: ResolvedMercureOptions,
  hubPath: string,
  subscriptions: () => boolean,
): Route {
  return (req, res, head) => {
    const view = nodeRequestView(req);
    const origin = view.origin ?? `http://${view.header('host') ?? 'localhost'}`;
    const body = JSON.stringify({
      resource: settings.resourceIdentifier ?? `${origin}${hubPath}`,
      authorization_details_types_supported: [MERCURE_AUTHORIZATION_DETAIL_TYPE],
      bearer_methods_supported: ['header'],
      mercure_cookie: settings.cookieName,
      mercure_matcher_types_supported: [...MATCHER_TYPES],
      ...(subscriptions() ? { mercure_subscriptions: true } : {}),
    });
    sendBody(
      res,
      200,
      'application/json',
      body,
      { 'cache-control': 'no-cache', 'access-control-allow-origin': '*' },
      head,
    );
  };
}
