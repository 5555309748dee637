/**
 * Publish input → a validated, immutable {@link Update} and its one encoded
 * frame. Everything is checked before anything is stored or sent, so a
 * rejected publish leaves no trace.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md (Publication)
 */
import { encodeEvent } from '../protocol/encode.js';
import { SseError, isSseError } from '../protocol/sse-error.js';
import type { PublishInput, Update } from './types.js';

/** Limits applied to every published update. */
export interface UpdateLimits {
  readonly maxTopicsPerUpdate: number;
  readonly maxDataBytes: number;
}

/** The reserved `Last-Event-ID` meaning "the whole history". */
export const EARLIEST = 'earliest';

/**
 * Checks one topic list (of an update or a subscription).
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC` (none, empty, not a string) or
 * `SSE_ERR_TOO_MANY_TOPICS`.
 */
export function checkTopics(
  topics: unknown,
  max: number,
  what: 'update' | 'subscription',
): readonly string[] {
  const list: unknown[] =
    typeof topics === 'string' ? [topics] : Array.isArray(topics) ? (topics as unknown[]) : [];
  if (list.length === 0) {
    throw new SseError(
      'SSE_ERR_INVALID_TOPIC',
      what === 'update'
        ? 'An update needs at least one "topic".'
        : 'A subscription needs at least one "topic" (an exact topic, "*" or a URI template).',
      { field: 'topic' },
    );
  }
  if (list.length > max) {
    throw new SseError(
      'SSE_ERR_TOO_MANY_TOPICS',
      `Too many topics in this ${what}: ${list.length}, at most ${max} allowed.`,
      { field: 'topic' },
    );
  }
  for (const topic of list) {
    if (typeof topic !== 'string' || topic === '') {
      throw new SseError('SSE_ERR_INVALID_TOPIC', 'Every "topic" must be a non-empty string.', {
        field: 'topic',
      });
    }
  }
  return list as string[];
}

function invalid(field: string, message: string): SseError {
  return new SseError('SSE_ERR_INVALID_FIELD', message, { field });
}

/**
 * Validates `input` and builds the update with `id` (the publisher's, else
 * `generateId()`), plus its SSE frame.
 *
 * Rules: `data` a string of at most `maxDataBytes` UTF-8 bytes; `id` and
 * `type` without CR, LF or NUL (the encoder's check; an empty string counts as
 * absent); a publisher `id` must not start with `#` nor be `earliest`
 * ([spec] reserved); `retry` a non-negative integer; `private` a boolean.
 *
 * @throws {SseError} `SSE_ERR_INVALID_TOPIC`, `SSE_ERR_TOO_MANY_TOPICS`,
 * `SSE_ERR_DATA_TOO_LARGE` (field `data`) or `SSE_ERR_INVALID_FIELD` naming the field.
 */
export function createUpdate(
  input: PublishInput,
  limits: UpdateLimits,
  generateId: () => string,
): { update: Update; frame: Buffer } {
  if (typeof input !== 'object' || (input as PublishInput | null) === null) {
    throw new SseError('SSE_ERR_INVALID_TOPIC', 'publish() needs an object with "topics".', {
      field: 'topic',
    });
  }
  const topics = checkTopics(input.topics, limits.maxTopicsPerUpdate, 'update');
  const data = input.data ?? '';
  if (typeof data !== 'string') throw invalid('data', '"data" must be a string.');
  const dataBytes = Buffer.byteLength(data, 'utf8');
  if (dataBytes > limits.maxDataBytes) {
    throw new SseError(
      'SSE_ERR_DATA_TOO_LARGE',
      `"data" is ${dataBytes} bytes, at most ${limits.maxDataBytes} allowed.`,
      { field: 'data' },
    );
  }
  let id = input.id;
  if (id === undefined || id === '') {
    id = generateId();
  } else if (typeof id !== 'string') {
    throw invalid('id', '"id" must be a string.');
  } else if (id.startsWith('#') || id === EARLIEST) {
    // [spec] "The provided ID MUST NOT start with the # character"; `earliest`
    // is the reserved Last-Event-ID value, so it cannot name an update.
    throw invalid('id', `"id" must not start with "#" nor be "${EARLIEST}".`);
  }
  const type = input.type === '' ? undefined : input.type;
  const retry = input.retry;
  if (
    retry !== undefined &&
    (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0)
  ) {
    throw invalid(
      'retry',
      `"retry" must be a non-negative integer number of milliseconds, got ${String(retry)}.`,
    );
  }
  const isPrivate = input.private ?? false;
  if (typeof isPrivate !== 'boolean') throw invalid('private', '"private" must be a boolean.');
  let text: string;
  try {
    text = encodeEvent({ id, event: type, retry, data });
  } catch (error) {
    // The encoder names the SSE field (`event`); the publisher knows it as `type`.
    if (isSseError(error, 'SSE_ERR_INVALID_FIELD') && error.field === 'event') {
      throw invalid('type', error.message.replace('"event"', '"type"'));
    }
    throw error;
  }
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
