export { createMercureHandler } from './handler.js';
export type { MercureHandler } from './handler.js';
export type { HubEndpoint } from './hub-endpoint.js';
export {
  DEFAULT_HUB_PATH,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_MAX_TOPICS,
  MERCURE_PROTOCOLS,
} from './options.js';
export type { MercureHandlerOptions, MercureProtocol } from './options.js';
export { mercureLinkHeader } from './discovery.js';
export type { MercureLinkOptions } from './discovery.js';
export { DEFAULT_JWT_ALG, JWT_ALGORITHMS, importSignKey, importVerifyKey } from './jwt-key.js';
export type { JwtAlgorithm, JwtKey, JwtKeyInput } from './jwt-key.js';
export { DEFAULT_COOKIE_NAME, verifyToken } from './authorize.js';
export type { MercureClaim, VerifiedToken } from './authorize.js';
export { HttpError, refusalFor, httpStatusForError } from './refusal.js';
export type { Refusal } from './refusal.js';
export { signToken } from './sign-token.js';
export type { SignTokenOptions } from './sign-token.js';
export { signAccessToken } from './sign-access-token.js';
export type { GrantMatcher, SignAccessTokenOptions } from './sign-access-token.js';
export { serveHub, serveHubFastify, serveHubFetch } from './serve-hub.js';
export type { FastifyReplyForHub, FastifyRequestForHub, ServeHubOptions } from './serve-hub.js';
export { serveSubscriptions, serveSubscriptionsFetch } from './serve-subscriptions.js';
export type { ServeSubscriptionsOptions } from './serve-subscriptions.js';
export { isSubscriptionApiPath, SUBSCRIPTIONS_CONTENT_TYPE } from './subscription-api.js';
export { planSubscription, startSubscription, SUBSCRIBE_CACHE_CONTROL } from './subscribe-core.js';
export type {
  AuthorizeHook,
  SubscribeOutcome,
  SubscribePolicy,
  SubscribeRequestInfo,
  SubscriberAuthorization,
  SubscriptionPlan,
} from './subscribe-core.js';
export { readSubscribeRequest, LAST_EVENT_ID_PARAM, TOPIC_PARAM } from './subscribe-request.js';
export type { RequestView, SubscribeRequest } from './subscribe-request.js';
export { createJwtAuthorizer } from './jwt-authorizer.js';
export type { MercureErrorCode } from './errors.js';
