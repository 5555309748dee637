/**
 * `POST /.well-known/mercure`: a publisher sends one update as form fields.
 *
 * Order of checks (each refusal publishes nothing): token (401), content
 * type (415), body size (413), fields (400, 413 for `data`), topics against
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
import { TopicMatcher, type PublishInput } from '../hub/index.js';
import type { NodeSseRequest, NodeSseResponse } from '../server/index.js';
import { checkCookieOrigin, findToken, verifyToken, type VerifiedToken } from './authorize.js';
import { checkFormContentType, readFormBody } from './form-body.js';
import type { HubEndpoint } from './hub-endpoint.js';
import { sendBody } from './http-error.js';
import type { ResolvedMercureOptions } from './options.js';

const FORBIDDEN_IN_FIELD = /[\r\n\0]/;
const DIGITS = /^[0-9]+$/;

function badField(field: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_FIELD', message, { field });
}

/** The first value of a field, with `''` meaning absent. */
function optional(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

/**
 * Reads and checks the form fields of an update.
 *
 * @throws {SseError} naming the field: `SSE_ERR_INVALID_TOPIC`,
 * `SSE_ERR_TOO_MANY_TOPICS`, `SSE_ERR_DATA_TOO_LARGE`, `SSE_ERR_INVALID_FIELD`.
 */
export function parsePublishForm(
  form: URLSearchParams,
  limits: { maxTopics: number; maxDataBytes: number },
): PublishInput & { topics: string[] } {
  const topics = form.getAll('topic');
  if (topics.length === 0) {
    throw new SseError('SSE_ERR_INVALID_TOPIC', 'missing "topic"', { field: 'topic' });
  }
  if (topics.length > limits.maxTopics) {
    throw new SseError('SSE_ERR_TOO_MANY_TOPICS', `too many topics (max ${limits.maxTopics})`, {
      field: 'topic',
    });
  }
  if (topics.includes('')) {
    throw new SseError('SSE_ERR_INVALID_TOPIC', '"topic" must not be empty', { field: 'topic' });
  }
  const data = form.get('data') ?? '';
  if (Buffer.byteLength(data, 'utf8') > limits.maxDataBytes) {
    throw new SseError('SSE_ERR_DATA_TOO_LARGE', `"data" exceeds ${limits.maxDataBytes} bytes`, {
      field: 'data',
    });
  }
  const id = optional(form, 'id');
  // [spec] CR, LF or NUL in an SSE field would let a publisher inject fields
  // or events into every subscriber's stream.
  if (id !== undefined && FORBIDDEN_IN_FIELD.test(id)) {
    throw badField('id', '"id" must not contain CR, LF or NUL');
  }
  if (id?.startsWith('#')) throw badField('id', '"id" must not start with "#"');
  const type = optional(form, 'type');
  if (type !== undefined && FORBIDDEN_IN_FIELD.test(type)) {
    throw badField('type', '"type" must not contain CR, LF or NUL');
  }
  const retryText = optional(form, 'retry');
  let retry: number | undefined;
  if (retryText !== undefined) {
    retry = DIGITS.test(retryText) ? Number(retryText) : Number.NaN;
    if (!Number.isSafeInteger(retry)) {
      throw badField('retry', '"retry" must be a non-negative integer');
    }
  }
  return { topics, data, id, type, retry, private: form.has('private') };
}

/**
 * Does the publisher's token cover every topic of the update? [spec] "the
 * hub MUST check that every topic of the update to dispatch matches at least
 * one of the topic selectors contained in `mercure.publish`".
 *
 * @throws {SseError} `SSE_ERR_FORBIDDEN` naming the first topic not covered.
 */
export function authorizePublish(
  token: VerifiedToken,
  topics: readonly string[],
  matcher: TopicMatcher,
): void {
  const selectors = token.mercure.publish;
  if (selectors === undefined || selectors.length === 0) {
    throw new SseError('SSE_ERR_FORBIDDEN', 'the token has no "mercure.publish" claim');
  }
  if (selectors.includes('*')) return;
  for (const topic of topics) {
    if (!selectors.some((selector) => matcher.match(selector, topic))) {
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
  // One matcher for publish authorization: compiled templates are reused
  // across requests, with the matcher's own bounds.
  const matcher = new TopicMatcher();
  return async (req, res, query, headers) => {
    const key = options.publisherKey;
    const found = findToken(req, query, options.cookieName);
    if (found === undefined) {
      throw new SseError(
        'SSE_ERR_UNAUTHORIZED',
        `missing token: send "Authorization: Bearer <jwt>" (or the "authorization" parameter, or the "${options.cookieName}" cookie)`,
      );
    }
    if (key === undefined) {
      throw new SseError('SSE_ERR_UNAUTHORIZED', 'publishing is disabled: no publisher key');
    }
    if (found.source === 'cookie') {
      checkCookieOrigin(req, options.publishOrigins, options.cookieName);
    }
    const token = await verifyToken(found.token, key, options.clockTolerance);
    checkFormContentType(req);
    const form = await readFormBody(req, options.maxBodyBytes);
    const input = parsePublishForm(form, options);
    authorizePublish(token, input.topics, matcher);
    const id = await hub.publish(input);
    options.logger?.debug(
      {
        id,
        topics: input.topics,
        private: input.private,
        bytes: Buffer.byteLength(input.data ?? ''),
      },
      'update published',
    );
    sendBody(res, 200, 'text/plain; charset=utf-8', id, {
      ...headers,
      'cache-control': 'no-store',
    });
  };
}
