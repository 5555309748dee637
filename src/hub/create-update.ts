/**
 * Publish input → a validated, immutable {@link Update} and its one encoded
 * frame. Everything is checked before anything is stored or sent, so a
 * rejected publish leaves no trace.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md (Publication)
 */
import { encodeEvent } from '../protocol/encode.js';
import type { SseError } from '../protocol/sse-error.js';
import { hubError } from './errors.js';
import { compileTopicMatcher } from './matcher-spec.js';
import { selectorSpec } from './selector-key.js';
import type { PublishInput, Update } from './types.js';

/** Limits applied to every published update. */
export interface UpdateLimits {
  readonly maxTopicsPerUpdate: number;
  readonly maxDataBytes: number;
  readonly maxTopicLength: number;
}

/** The reserved `Last-Event-ID` meaning "the whole history". */
export const EARLIEST = 'earliest';

/**
 * Checks one topic list (of an update or a subscription). The messages are
 * the ones every entry point shows (the HTTP layer adds only the status).
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC` (none, empty, not a string) or
 * `SSE_ERR_TOO_MANY_TOPICS`.
 */
export function checkTopics(
  topics: unknown,
  max: number,
  maxLength: number,
  what: 'update' | 'subscription',
): readonly string[] {
  const list: unknown[] =
    typeof topics === 'string' ? [topics] : Array.isArray(topics) ? (topics as unknown[]) : [];
  if (list.length === 0) {
    throw hubError('SSE_ERR_INVALID_TOPIC', 'missing "topic"', { field: 'topic' });
  }
  if (list.length > max) {
    throw hubError(
      what === 'update' ? 'SSE_ERR_UPDATE_TOO_LARGE' : 'SSE_ERR_TOO_MANY_TOPICS',
      `too many topics (max ${max})`,
      { field: 'topic' },
    );
  }
  for (const topic of list) {
    if (typeof topic !== 'string') {
      throw hubError('SSE_ERR_INVALID_TOPIC', '"topic" must be a string', { field: 'topic' });
    }
    if (what === 'subscription') {
      const spec = selectorSpec(topic);
      if (spec.type !== 'legacy') {
        // A Mercure 1.0 matcher: its own rules ([spec] Matcher Types).
        const compiled = compileTopicMatcher(
          { type: spec.type, value: spec.value },
          {
            baseUrl: spec.type === 'urlpattern' ? spec.baseUrl : undefined,
            maxPatternLength: maxLength,
          },
        );
        if (!('test' in compiled)) throw compiled;
        continue;
      }
    }
    if (topic === '') {
      throw hubError('SSE_ERR_INVALID_TOPIC', '"topic" must not be empty', { field: 'topic' });
    }
    if (topic.length > maxLength) {
      // Checked before anything is matched or kept: a refused request
      // leaves nothing behind.
      const message = `"topic" is longer than ${maxLength} characters`;
      throw what === 'update'
        ? hubError('SSE_ERR_TOPIC_TOO_LONG', message, { field: 'topic' })
        : hubError('SSE_ERR_INVALID_TOPIC', message, { field: 'topic' });
    }
    if (UNSAFE_IN_FIELD.test(topic)) {
      // In a selector too: a topic with them cannot be published, and the
      // hub's own keys (`selector-key.ts`) are marked with one.
      throw what === 'update'
        ? invalid('topic', '"topic" must not contain control or format characters')
        : hubError(
            'SSE_ERR_INVALID_TOPIC',
            '"topic" must not contain control or format characters',
            {
              field: 'topic',
            },
          );
    }
  }
  return list as string[];
}

function invalid(field: string, message: string): SseError {
  return hubError('SSE_ERR_INVALID_FIELD', message, { field });
}

/**
 * Control characters (C0, DEL, C1) and Unicode format characters (bidi
 * overrides, zero-width characters, soft hyphen, BOM…): [spec] Mercure 1.0
 * refuses them in ids, types and topics. CR, LF and NUL would also let a
 * publisher inject fields into every subscriber's stream; the others make
 * one string look like another. One character class: linear time.
 */
const UNSAFE_IN_FIELD = /[\p{Cc}\p{Cf}]/u;

/**
 * Largest `retry` of an update, in ms: 24 hours. A publisher may slow every
 * subscriber's reconnection down, but not make a browser wait for days (or
 * forever) before it reconnects after a drop.
 */
export const MAX_RETRY_MS = 24 * 60 * 60 * 1000;

/**
 * Validates `input` and builds the update with `id` (the publisher's, else
 * `generateId()`), plus its SSE frame.
 *
 * Rules: topics non-empty strings of at most `maxTopicLength` characters,
 * without control or format characters; `data` a string of at most
 * `maxDataBytes` UTF-8 bytes; `id` and `type` without control or format
 * characters (an empty string counts as absent); a publisher `id` must not
 * start with `#` nor be `earliest` ([spec] reserved); `retry` an integer
 * from 0 to {@link MAX_RETRY_MS}; `private` a boolean.
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC`, `SSE_ERR_TOO_MANY_TOPICS`,
 * `SSE_ERR_TOPIC_TOO_LONG`, `SSE_ERR_DATA_TOO_LARGE` (field `data`) or
 * `SSE_ERR_INVALID_FIELD` naming the field.
 */
export function createUpdate(
  input: PublishInput,
  limits: UpdateLimits,
  generateId: () => string,
): { update: Update; frame: Buffer } {
  if (typeof input !== 'object' || (input as PublishInput | null) === null) {
    throw hubError('SSE_ERR_INVALID_TOPIC', 'missing "topic"', { field: 'topic' });
  }
  const topics = checkTopics(
    input.topics,
    limits.maxTopicsPerUpdate,
    limits.maxTopicLength,
    'update',
  );
  const data = input.data ?? '';
  if (typeof data !== 'string') throw invalid('data', '"data" must be a string');
  if (Buffer.byteLength(data, 'utf8') > limits.maxDataBytes) {
    throw hubError('SSE_ERR_DATA_TOO_LARGE', `"data" exceeds ${limits.maxDataBytes} bytes`, {
      field: 'data',
    });
  }
  let id = input.id;
  if (id === undefined || id === '') {
    id = generateId();
  } else {
    if (typeof id !== 'string') throw invalid('id', '"id" must be a string');
    if (UNSAFE_IN_FIELD.test(id)) {
      throw invalid('id', '"id" must not contain control or format characters');
    }
    // [spec] "The provided ID MUST NOT start with the # character".
    if (id.startsWith('#')) throw invalid('id', '"id" must not start with "#"');
    // `earliest` is the reserved Last-Event-ID value: it cannot name an update.
    if (id === EARLIEST) throw invalid('id', `"id" must not be "${EARLIEST}"`);
  }
  const type = input.type === '' ? undefined : input.type;
  if (type !== undefined) {
    if (typeof type !== 'string') throw invalid('type', '"type" must be a string');
    if (UNSAFE_IN_FIELD.test(type)) {
      throw invalid('type', '"type" must not contain control or format characters');
    }
  }
  const retry = input.retry;
  if (
    retry !== undefined &&
    (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0 || retry > MAX_RETRY_MS)
  ) {
    throw invalid(
      'retry',
      `"retry" must be an integer number of milliseconds from 0 to ${MAX_RETRY_MS} (24 hours)`,
    );
  }
  const isPrivate = input.private ?? false;
  if (typeof isPrivate !== 'boolean') throw invalid('private', '"private" must be a boolean');
  const text = encodeEvent({ id, event: type, retry, data });
  const update: Update = Object.freeze({
    id,
    topics: Object.freeze([...topics]),
    data,
    type,
    retry,
    private: isPrivate,
  });
  return { update, frame: Buffer.from(text, 'utf8') };
}

/** Encodes an update that did not come through {@link createUpdate} (from a remote transport). */
export function encodeUpdate(update: Update): Buffer {
  return Buffer.from(
    encodeEvent({ id: update.id, event: update.type, retry: update.retry, data: update.data }),
    'utf8',
  );
}
