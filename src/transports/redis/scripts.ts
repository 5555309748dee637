/**
 * The Lua scripts of the Redis transport. Each runs atomically in Redis, so
 * the invariants of `redis.ts` (the id map holds exactly the earliest entry of
 * each id still in the stream; the byte counter matches the stream) hold
 * between any two commands.
 *
 * KEYS, for every script: the stream, the id map (hash), the byte counter.
 */
import { createHash } from 'node:crypto';

/**
 * Appends one update and trims. ARGV: historySize, slack, historyBytes, the
 * entry's size, then the entry's fields and values (the first pair is `id`,
 * the update id; `n` holds the size). Returns the new entry id.
 *
 * Trimming: once the stream holds `historySize + slack` entries, or more than
 * `historyBytes` bytes, the oldest entries are removed until it holds at most
 * `historySize` entries and `historyBytes` bytes (the newest entry always
 * stays: it also carries the update to the other processes). Their ids leave
 * the map when the map points at them; their sizes leave the counter.
 */
const DISPATCH_SOURCE = `
local size = tonumber(ARGV[1])
local slack = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local id = ARGV[6]
local entry = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 5))
redis.call('HSETNX', KEYS[2], id, entry)
local bytes = redis.call('INCRBY', KEYS[3], tonumber(ARGV[4]))
local len = redis.call('XLEN', KEYS[1])
if len < size + slack and bytes <= maxBytes then return entry end
local keep = nil
while len > 1 and (len > size or bytes > maxBytes) do
  local batch = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 100)
  local removed = 0
  for _, e in ipairs(batch) do
    if len <= 1 or (len <= size and bytes <= maxBytes) then keep = e[1] break end
    local f = e[2]
    local eid, n = nil, 0
    for i = 1, #f, 2 do
      if f[i] == 'id' then eid = f[i + 1] elseif f[i] == 'n' then n = tonumber(f[i + 1]) or 0 end
    end
    if eid ~= nil and redis.call('HGET', KEYS[2], eid) == e[1] then redis.call('HDEL', KEYS[2], eid) end
    redis.call('XDEL', KEYS[1], e[1])
    bytes = redis.call('DECRBY', KEYS[3], n)
    len = len - 1
    removed = removed + 1
  end
  if removed == 0 then break end
end
return entry
`;

/**
 * Reads one page: entries from `start` (`-`, or `(` + an entry id) to `upTo`,
 * at most `limit` of them and `maxBytes` bytes (their `n` fields; the first
 * entry always), in small `XRANGE` batches, so a page of large entries never
 * crosses the wire whole. Returns `{ entries, more }` (`more`: 1 when
 * entries up to `upTo` were left for the next page).
 */
const PAGE_FUNCTION = `
local function page(start, upTo, limit, maxBytes)
  local out, bytes, more, cursor = {}, 0, 0, start
  while true do
    local batch = redis.call('XRANGE', KEYS[1], cursor, upTo, 'COUNT', 16)
    for _, e in ipairs(batch) do
      local n, f = 0, e[2]
      for i = 1, #f, 2 do
        if f[i] == 'n' then n = tonumber(f[i + 1]) or 0 end
      end
      if #out >= limit or (#out > 0 and bytes + n > maxBytes) then
        more = 1
        break
      end
      out[#out + 1] = e
      bytes = bytes + n
    end
    if more == 1 or #batch < 16 then break end
    cursor = '(' .. batch[#batch][1]
  end
  return { out, more }
end
`;

/** The first page. ARGV: the last entry id to include, the most entries, the most bytes. */
const EARLIEST_SOURCE = `${PAGE_FUNCTION}
return page('-', ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
`;

/**
 * A page after an update id. ARGV: the id, the last entry id to include,
 * the most entries, the most bytes. Returns `{ [entryId, fields] of the id,
 * entries after it, more }`, or false (nil) when the id is not in the
 * stream.
 */
const AFTER_ID_SOURCE = `${PAGE_FUNCTION}
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return false end
local self = redis.call('XRANGE', KEYS[1], entry, entry)
if #self == 0 then return false end
local p = page('(' .. entry, ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
return { self[1], p[1], p[2] }
`;

/**
 * The next page after an entry delivered earlier. ARGV: that entry id, the
 * last entry id to include, the most entries, the most bytes. Returns
 * `{ entries, more }`, or false (nil) when that entry was trimmed meanwhile
 * (the reader fell behind).
 */
const AFTER_ENTRY_SOURCE = `${PAGE_FUNCTION}
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
return page('(' .. ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export const DISPATCH = script(DISPATCH_SOURCE);
export const EARLIEST = script(EARLIEST_SOURCE);
export const AFTER_ID = script(AFTER_ID_SOURCE);
export const AFTER_ENTRY = script(AFTER_ENTRY_SOURCE);
