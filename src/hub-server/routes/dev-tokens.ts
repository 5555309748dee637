/**
 * `GET /dev-tokens.json`: development mode only, the tokens the page uses.
 * Anyone who can reach the server can read them.
 */
import { sendBody } from '../../mercure/node-reply.js';
import type { Route } from './route.js';

/** Tokens shown to the page in development mode. */
export interface DevTokens {
  /** A publisher JWT (the page's publish form uses it). */
  publisherToken: string;
  /** A subscriber JWT (the page subscribes with it, so private updates show). */
  subscriberToken?: string | undefined;
}

export function devTokensRoute(tokens: DevTokens): Route {
  const body = JSON.stringify(tokens);
  return (_req, res, head) => {
    sendBody(
      res,
      200,
      'application/json; charset=utf-8',
      body,
      { 'cache-control': 'no-store' },
      head,
    );
  };
}
