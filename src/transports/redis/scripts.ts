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
 * A page after an update id. ARGV: the id, the last entry id to include,
 * the most entries. Returns `{ [entryId, fields] of the id, entries after
 * it }`, or false (nil) when the id is not in the stream.
 */
const AFTER_ID_SOURCE = `
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return false end
local self = redis.call('XRANGE', KEYS[1], entry, entry)
if #self == 0 then return false end
return { self[1], redis.call('XRANGE', KEYS[1], '(' .. entry, ARGV[2], 'COUNT', ARGV[3]) }
`;

/**
 * The next page after an entry delivered earlier. ARGV: that entry id, the
 * last entry id to include, the most entries. Returns the entries, or false
 * (nil) when that entry was trimmed meanwhile (the reader fell behind).
 */
const AFTER_ENTRY_SOURCE = `
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
return redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], ARGV[2], 'COUNT', ARGV[3])
`;

export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export const DISPATCH = script(DISPATCH_SOURCE);
export const AFTER_ID = script(AFTER_ID_SOURCE);
export const AFTER_ENTRY = script(AFTER_ENTRY_SOURCE);
