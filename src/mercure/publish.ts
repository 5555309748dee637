/**
 * `POST /.well-known/mercure`: a publisher sends one update as form fields.
 *
 * Order of checks (each refusal publishes nothing): token (401), content
 * type (415), body size (413) and time (408, `requestTimeout`), fields (400, 413 for `data`), topics against
 * the token's `mercure.publish` selectors (403), then `hub.publish`.
 *
 * Fields ([spec] "Publication"): `topic` (repeatable: the first is the
 * canonical topic, the others alternates), `data`, `private` (present with
 * any value, even empty, means private; Mercure recommends `on`), `id`,
 * `type`, `retry`. Unknown fields are ignored. An empty `id`, `type` or
 * `retry` counts as absent, as in the Go hub.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#publication
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/publish.go
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { SseError } from '../protocol/sse-error.js';
import { compileSelector, type PublishInput } from '../hub/index.js';
import type { NodeSseRequest, NodeSseResponse } from '../response/index.js';
import { checkCookieOrigin, type VerifiedToken } from './authorize.js';
import { grantsPublish } from './authorization-details.js';
import { authenticate, challenge, tokenRequired } from './mercure-auth.js';
import { checkPublicationRules } from './publish-rules.js';
import { hubUrlOf } from './subscribe-request.js';
import { checkFormContentType, readFormBody } from './form-body.js';
import type { HubEndpoint } from './hub-endpoint.js';
import { nodeRequestView } from './answer-node.js';
import { sendBody } from './node-reply.js';
import type { ResolvedMercureOptions } from './options.js';

const DIGITS = /^[0-9]+$/;

/** The first value of a field, with `''` meaning absent. */
function optional(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

/**
 * Reads the form fields of an update, as given: the hub checks them
 * (`hub.validate`), with the same rules and messages as for `hub.publish`.
 * `retry` that is not all digits becomes `NaN` (refused by the hub).
 */
export function readPublishForm(form: URLSearchParams): PublishInput & { topics: string[] } {
  const retryText = optional(form, 'retry');
  return {
    topics: form.getAll('topic'),
    data: form.get('data') ?? '',
    id: optional(form, 'id'),
    type: optional(form, 'type'),
    retry:
      retryText === undefined ? undefined : DIGITS.test(retryText) ? Number(retryText) : Number.NaN,
    private: form.has('private'),
  };
}

/**
 * Does the publisher's token cover every topic of the update? [spec] "the
 * hub MUST check that every topic of the update to dispatch matches at least
 * one of the topic selectors contained in `mercure.publish`".
 *
 * @throws {SseError} `SSE_ERR_FORBIDDEN` naming the first topic not covered.
 */
export function authorizePublish(token: VerifiedToken, topics: readonly string[]): void {
  const selectors = token.mercure.publish;
  if (selectors === undefined || selectors.length === 0) {
    throw new SseError('SSE_ERR_FORBIDDEN', 'the token has no "mercure.publish" claim');
  }
  if (selectors.includes('*')) return;
  // Compiled for this request only: nothing is kept for a refused one (the
  // topics were checked, bounded, by the hub first).
  const compiled = selectors.map(compileSelector);
  for (const topic of topics) {
    if (!compiled.some((selector) => selector.match(topic))) {
      throw new SseError('SSE_ERR_FORBIDDEN', `not allowed to publish to "${topic}"`);
    }
  }
}

/** A publish request handler bound to a hub and options. */
export function createPublishHandler(
  hub: HubEndpoint,
  options: ResolvedMercureOptions,
): (
  req: NodeSseRequest,
  res: NodeSseResponse,
  query: URLSearchParams,
  headers: OutgoingHttpHeaders,
) => Promise<void> {
  return async (req, res, query, headers) => {
    const place = {
      header: nodeRequestView(req).header,
      query,
      hubUrl: hubUrlOf(nodeRequestView(req)),
    };
    const found = await authenticate(options, place, options.publisherKey);
    if (found === undefined) {
      throw tokenRequired(
        options,
        place,
        `missing token: send "Authorization: Bearer <jwt>" (or the "authorization" parameter, or the "${options.cookieName}" cookie)`,
      );
    }
    if (found.source === 'cookie' || found.source === 'legacy-cookie') {
      checkCookieOrigin(req, options.publishOrigins, options.cookieName);
    }
    checkFormContentType(req);
    const form = await readFormBody(req, options.maxBodyBytes, options.requestTimeout);
    // Checked before authorization: nothing is matched (or cached) for an
    // update the hub would refuse anyway.
    const update = hub.validate(readPublishForm(form));
    if (options.protocol !== '0.x') checkPublicationRules(update, place.hubUrl);
    // Pre-1.0 publishers may not forge the hub's subscription events either.
    else if (hub.activeSubscriptions !== undefined) {
      checkPublicationRules(update, place.hubUrl, 'hub-events');
    }
    if (found.dialect === '0.x') authorizePublish(found.token, update.topics);
    else if (!grantsPublish(found.token.details, update.topics)) {
      // [spec] "the hub MUST NOT dispatch the update … and MUST return a 403
      // status code with error="insufficient_scope"".

      throw challenge(
        options,
        place,
        new SseError('SSE_ERR_FORBIDDEN', 'the token does not grant "publish" on every topic'),
      );
    }
    const id = await hub.publish(update);
    options.logger?.debug(
      { id, topics: update.topics, private: update.private, bytes: Buffer.byteLength(update.data) },
      'update published',
    );
    sendBody(res, 200, 'text/plain; charset=utf-8', id, {
      ...headers,
      'cache-control': 'no-store',
    });
  };
}
