/**
 * One update as the file transport stores it: a value of the `updates`
 * database, keyed by the update's sequence number.
 *
 * Layout (all integers big-endian):
 *
 * | bytes  | what                                                         |
 * | ------ | ------------------------------------------------------------ |
 * | 0..4   | CRC-32 of bytes 4..end                                       |
 * | 4..8   | `updateSize` of the update (the byte bound's measure)        |
 * | 8..24  | the id's key: the first 16 bytes of SHA-256 of the id (UTF-8) |
 * | 24..   | JSON `[id, topics, data, type, retry, private]`, UTF-8       |
 *
 * The checksum makes a damaged record (bit rot, a page half written by a
 * disk that lies about flushing) detectable: it is skipped and counted,
 * never replayed as garbage. LMDB's own commit protocol already keeps a
 * crash from leaving a half-written transaction visible.
 *
 * JSON, not a binary encoding: `JSON.stringify` escapes lone surrogates, so
 * every JavaScript string round-trips exactly (UTF-8 alone would not).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Update } from '../../hub/types.js';

/** Bytes before the JSON payload. */
export const HEADER_BYTES = 24;
/** Bytes of an id's key (a prefix of its SHA-256). */
export const ID_HASH_BYTES = 16;

/** The key of an id in the `ids` index: fixed width, whatever the id's length. */
export function idHash(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest().subarray(0, ID_HASH_BYTES);
}

/** An update as a stored record. */
export function encodeRecord(update: Update, size: number, hash: Buffer): Buffer {
  const json = JSON.stringify([
    update.id,
    update.topics,
    update.data,
    update.type ?? null,
    update.retry ?? null,
    update.private ? 1 : 0,
  ]);
  const record = Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(json, 'utf8'));
  record.writeUInt32BE(Math.min(size, 0xffff_ffff), 4);
  hash.copy(record, 8, 0, ID_HASH_BYTES);
  record.write(json, HEADER_BYTES, 'utf8');
  record.writeUInt32BE(crc32(record.subarray(4)), 0);
  return record;
}

/** The header of a record whose checksum holds, or `undefined` for a damaged one. */
export function checkRecord(record: Buffer): { size: number; hash: Buffer } | undefined {
  if (record.length < HEADER_BYTES + 2) return undefined;
  if (crc32(record.subarray(4)) !== record.readUInt32BE(0)) return undefined;
  return { size: record.readUInt32BE(4), hash: record.subarray(8, HEADER_BYTES) };
}

/** The size field of a record, trusted or not (trimming a damaged record). */
export function recordSize(record: Buffer): number {
  return record.length >= 8 ? record.readUInt32BE(4) : 0;
}

function isUpdateTuple(
  value: unknown,
): value is [string, string[], string, unknown, unknown, 0 | 1] {
  return (
    Array.isArray(value) &&
    value.length === 6 &&
    typeof value[0] === 'string' &&
    Array.isArray(value[1]) &&
    value[1].length > 0 &&
    value[1].every((topic) => typeof topic === 'string') &&
    typeof value[2] === 'string' &&
    (value[3] === null || typeof value[3] === 'string') &&
    (value[4] === null || (typeof value[4] === 'number' && Number.isSafeInteger(value[4]))) &&
    (value[5] === 0 || value[5] === 1)
  );
}

/** A record back as an update, or `undefined` when it is damaged. */
export function decodeRecord(record: Buffer): Update | undefined {
  if (checkRecord(record) === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(record.toString('utf8', HEADER_BYTES));
  } catch {
    return undefined;
  }
  if (!isUpdateTuple(value)) return undefined;
  return {
    id: value[0],
    topics: value[1],
    data: value[2],
    type: (value[3] as string | null) ?? undefined,
    retry: (value[4] as number | null) ?? undefined,
    private: value[5] === 1,
  };
}
