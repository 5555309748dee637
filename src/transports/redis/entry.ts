/**
 * How an update is stored in a Redis stream entry, and how an entry is read
 * back. Entries come from Redis, which other programs can write to: every
 * entry is checked, and one that is not an update this transport wrote
 * (missing fields, topics that are not a JSON array of strings, a bad retry)
 * is refused with the reason, never thrown.
 *
 * Positions: a stream entry id (`<ms>-<seq>`) with both numbers zero-padded
 * to 20 digits, so that string order is stream order (the `Position`
 * contract of `src/hub/types.ts`).
 */
import { updateSize, type Position, type Update } from '../../hub/types.js';

/** A raw stream entry as RESP2 returns it: `[entryId, [field, value, …]]`. */
export type RawEntry = [string, string[]];

const WIDTH = 20;
const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;
const DIGITS = /^\d{1,16}$/;
const UNSAFE = /[\r\n\0]/;

/** The position of a stream entry id. */
export function toPosition(entryId: string): Position {
  const match = ENTRY_ID.exec(entryId);
  if (match === null) throw new Error(`not a stream entry id: ${JSON.stringify(entryId)}`);
  return `${(match[1] as string).padStart(WIDTH, '0')}-${(match[2] as string).padStart(WIDTH, '0')}`;
}

/** The stream entry id of a position made by {@link toPosition}. */
export function toEntryId(position: Position): string {
  const match = ENTRY_ID.exec(position);
  if (match === null) throw new Error(`not a Redis position: ${JSON.stringify(position)}`);
  return `${BigInt(match[1] as string).toString()}-${BigInt(match[2] as string).toString()}`;
}

/** The entry's fields: `id` first (the scripts read it there), `n` (the size) kept for trimming. */
export function toFields(update: Update): string[] {
  const fields = ['id', update.id, 'topics', JSON.stringify(update.topics), 'data', update.data];
  if (update.type !== undefined) fields.push('type', update.type);
  if (update.retry !== undefined) fields.push('retry', String(update.retry));
  fields.push('private', update.private ? '1' : '0', 'n', String(updateSize(update)));
  return fields;
}

function topicsOf(json: string | undefined): string[] | string {
  if (json === undefined) return 'no "topics" field';
  let topics: unknown;
  try {
    topics = JSON.parse(json);
  } catch {
    return '"topics" is not JSON';
  }
  if (
    !Array.isArray(topics) ||
    topics.length === 0 ||
    !topics.every((t): t is string => typeof t === 'string' && t !== '')
  ) {
    return '"topics" is not a non-empty array of non-empty strings';
  }
  return topics;
}

/** Reads an entry back: the update, or the reason it is not one. */
export function fromFields(fields: unknown): Update | string {
  if (!Array.isArray(fields)) return 'the entry has no fields';
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name: unknown = fields[i];
    const value: unknown = fields[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') return 'a field is not a string';
    map.set(name, value);
  }
  const id = map.get('id');
  if (id === undefined || id === '') return 'no "id" field';
  if (UNSAFE.test(id)) return '"id" has CR, LF or NUL';
  const type = map.get('type');
  if (type !== undefined && UNSAFE.test(type)) return '"type" has CR, LF or NUL';
  const topics = topicsOf(map.get('topics'));
  if (typeof topics === 'string') return topics;
  const retryText = map.get('retry');
  if (retryText !== undefined && !DIGITS.test(retryText)) return '"retry" is not an integer';
  const privateFlag = map.get('private');
  if (privateFlag !== undefined && privateFlag !== '0' && privateFlag !== '1') {
    return '"private" is not 0 or 1';
  }
  return {
    id,
    topics,
    data: map.get('data') ?? '',
    type,
    retry: retryText === undefined ? undefined : Number(retryText),
    private: privateFlag === '1',
  };
}
