/**
 * Lua run by the single-node Redis store. On a Cluster the store issues plain per-key commands
 * instead, because these scripts touch keys (tag versions) that may live in other slots.
 */

/**
 * The clock the scripts below share (reads that stamp on a miss, stamps, invalidations): a hybrid
 * logical clock in µs, kept in one key. A tick is `max(stored + 1, server time)`, so clock values
 * only grow (a step back of the server's clock cannot reorder them) and stay near wall time (a
 * Redis restored from an older snapshot still ticks past every value handed out before). Every
 * version is created at a tick, and a call answers the stored clock after its own ticks: any
 * version created later has a greater clock.
 */
const CLOCK = `
local function tick(clock)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local stored = tonumber(redis.call('GET', clock)) or 0
  if stored + 1 > now then return stored + 1 end
  return now
end
`

/**
 * A tag's current version, or `nil` when it had none and `token` became it (`SET NX GET`, with an
 * expiry of `ttl` ms unless 0): what a stamp does per tag.
 */
const CREATE_OR_GET = `
local function createOrGet(key, token, ttl)
  if ttl > 0 then return redis.call('SET', key, token, 'NX', 'GET', 'PX', ttl) end
  return redis.call('SET', key, token, 'NX', 'GET')
end
`

/**
 * `KEYS[1..n]` read with `MGET`, a few hundred at a time (`unpack` is bounded by Lua's stack): each
 * key's value, or `false` where it has none.
 */
const READ_KEYS = `
local function readKeys(n)
  local got = {}
  for first = 1, n, 500 do
    local last = math.min(first + 499, n)
    local part = redis.call('MGET', unpack(KEYS, first, last))
    for i = first, last do got[i] = part[i - first + 1] end
  end
  return got
end
`

/**
 * Reads a batch of entries (every read the store was asked for in one I/O phase), each with the
 * current versions of the tags named in its envelope (see `envelope.ts` for the layout), so a
 * tagged hit costs one round trip and a phase's reads one script call. Per read it answers
 * `{ bytes, v1, v2… }`, the bytes alone when there is no tag to check, nil on a miss, or on a miss
 * with a lease asked for 1 (taken: SET NX PX) or 0 (another process holds it). A read that also
 * asks for tags to be stamped on a miss (a `getOrSet` about to load) answers, on a miss,
 * `{ lease, version1, version2… }` instead (`lease` 1, 0, or -1 when none was asked): the tags are
 * stamped as {@link STAMP_TAGS} stamps them, at one tick of the clock, so the load needs no stamp
 * call of its own. A read that fails answers its own error (pcall), so it does not fail the others.
 * KEYS per read: entry key, then its lease key when it asks for one, then its clock key when it
 * asks for a stamp.
 * ARGV per read: tag key prefix, `1` when it asks for a lease (else `0`), token, lease ms, then
 * the number of tags to stamp on a miss (`0`: none) and, when not 0, the random part of the
 * versions' token, their expiry in ms (`0`: none) and the tag names.
 */
export const READ_MANY = `${CLOCK}${CREATE_OR_GET}
if redis.replicate_commands then redis.replicate_commands() end
local function stamp(prefix, clock, rand, ttl, first, count)
  local c = tick(clock)
  local token = string.format('%.0f', c) .. '~' .. rand
  local out = {}
  local created = false
  for i = first, first + count - 1 do
    local v = createOrGet(prefix .. ARGV[i], token, ttl)
    if not v then
      v = token
      created = true
    end
    out[#out + 1] = v
  end
  if created then redis.call('SET', clock, string.format('%.0f', c)) end
  return out
end
local function read(key, lease, prefix, token, ms, clock, at, count)
  local v = redis.call('GET', key)
  if not v then
    local leased = -1
    if lease then
      if redis.call('SET', lease, token, 'NX', 'PX', ms) then leased = 1 else leased = 0 end
    end
    if clock then
      local out = stamp(prefix, clock, ARGV[at], tonumber(ARGV[at + 1]), at + 2, count)
      table.insert(out, 1, leased)
      return out
    end
    if lease then return leased end
    return false
  end
  if string.byte(v, 1) ~= 199 or string.byte(v, 2) ~= 1 then return v end
  local n = string.byte(v, 4)
  if n == 0 then return v end
  local out = { v }
  local pos = 29
  for i = 1, n do
    local hi, lo = string.byte(v, pos, pos + 1)
    if not lo then return v end
    local len = hi * 256 + lo
    local name = string.sub(v, pos + 2, pos + 1 + len)
    pos = pos + 2 + len
    local vlen = string.byte(v, pos)
    if not vlen then return v end
    pos = pos + 1 + vlen
    out[#out + 1] = redis.call('GET', prefix .. name) or ''
  end
  return out
end
local out = {}
local k = 1
local i = 1
while i <= #ARGV do
  local key = KEYS[k]
  local lease = nil
  local clock = nil
  k = k + 1
  if ARGV[i + 1] == '1' then
    lease = KEYS[k]
    k = k + 1
  end
  local count = tonumber(ARGV[i + 4])
  if count > 0 then
    clock = KEYS[k]
    k = k + 1
  end
  local ok, r = pcall(read, key, lease, ARGV[i], ARGV[i + 2], ARGV[i + 3], clock, i + 5, count)
  if ok then out[#out + 1] = r
  elseif type(r) == 'table' then out[#out + 1] = r
  else out[#out + 1] = redis.error_reply(tostring(r)) end
  if count > 0 then i = i + 7 + count else i = i + 5 end
end
return out
`

/**
 * INCR a per-tag entry counter and make it live at least as long as the entry it counts (`ttl`
 * ms), so the counters of tags nobody invalidates do not pile up. `PTTL` then `PEXPIRE` rather
 * than `PEXPIRE … GT`, which Redis before 7 lacks.
 */
const COUNT = `
local function count(key, ttl)
  redis.call('INCR', key)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`

/**
 * SET the entry with PX, count it in each per-tag entry counter (see {@link COUNT}), PUBLISH the
 * bus message when one is given, then release the lease when one is given and its token still
 * holds it. KEYS[1] entry, then the counters, then the lease key when ARGV[3] (its token) is not
 * empty; ARGV bytes, ttl ms, lease token, then channel and message (optional).
 */
export const SET_COUNTED = `${COUNT}
local last = #KEYS
local lease = nil
if ARGV[3] ~= '' then
  lease = KEYS[last]
  last = last - 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 2, last do count(KEYS[i], ttl) end
if ARGV[5] then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
if lease and redis.call('GET', lease) == ARGV[3] then redis.call('DEL', lease) end
return 1
`

/**
 * The invalidation log both scripts below share: a sorted set of the tag keys invalidated lately
 * while they had no version (an invalidation of a tag with a version leaves a new version, created
 * at its tick, which tells by itself), scored by that tick, with the member `#` scored at its
 * horizon (the log holds every such invalidation since then). A log that may have missed one
 * (Redis refused a write, or evicted the log) is deleted, and one created anew starts its horizon
 * at its first tick, so the log never answers for a time it did not watch. Kept for `window` µs,
 * and `max` members at most: past that the oldest go, and the horizon moves up to the newest of
 * them (a stamp older than that is told nothing predates it, as for a stamp older than the window).
 */
const LOG = `
local function logInvalidated(log, c, window, max, keys)
  local ok = true
  local score = string.format('%.0f', c)
  if not redis.call('ZSCORE', log, '#') then ok = pcall(redis.call, 'ZADD', log, score, '#') end
  -- One ZADD per 250 tags (unpack is bounded by Lua's stack).
  for first = 1, #keys, 250 do
    if not ok then break end
    local batch = {}
    for i = first, math.min(first + 249, #keys) do
      batch[#batch + 1] = score
      batch[#batch + 1] = keys[i]
    end
    ok = pcall(redis.call, 'ZADD', log, unpack(batch))
  end
  if ok then
    local cut = c - window
    if tonumber(redis.call('ZSCORE', log, '#')) < cut then
      redis.call('ZREMRANGEBYSCORE', log, '-inf', '(' .. string.format('%.0f', cut))
      ok = pcall(redis.call, 'ZADD', log, string.format('%.0f', cut), '#')
    end
  end
  if ok and max > 0 then
    local n = redis.call('ZCARD', log) - 1
    if n > max then
      local last = redis.call('ZRANGE', log, n - max, n - max, 'WITHSCORES')
      local s = tonumber(last[2])
      redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%.0f', s))
      ok = pcall(redis.call, 'ZADD', log, string.format('%.0f', s), '#')
    end
  end
  if ok then ok = pcall(redis.call, 'PEXPIRE', log, math.ceil(window / 500)) end
  if not ok then redis.call('DEL', log) end
end
`

/**
 * Invalidates tags and GETDELs every counter; returns the counters' sum. With a clock (ARGV[2],
 * the random part of the token), each existing version (one `MGET` tells which) is replaced by a
 * fresh token created at one tick of the clock (`SET XX`, `<clock>.<random>`), so that a later
 * stamp can tell the invalidation's time; a missing version stays missing, and its tag is entered
 * in the invalidation log (see {@link LOG}) at that tick, all of them in one `ZADD`. Otherwise,
 * and whenever a SET fails (Redis out of memory), the version is deleted (and the log with it): a
 * delete still runs there, so an invalidation cannot fail while reads go on. KEYS tags, counters,
 * then the clock key and the log key; ARGV[1] tag count, ARGV[3] the versions' expiry in ms (`0`:
 * none), ARGV[4] the log's window in µs, ARGV[5] the most tags it holds (`0`: no limit). ARGV[6],
 * when given, is the number of row set indexes (see {@link STAMP_TAGS}) placed after the
 * counters: every set version each lists is deleted, then the index.
 */
export const INVALIDATE_TAGS = `${CLOCK}${LOG}${READ_KEYS}
if redis.replicate_commands then redis.replicate_commands() end
local n = tonumber(ARGV[1])
local last = #KEYS
local token = nil
local ttl = tonumber(ARGV[3] or '0')
local c = nil
local log = nil
if ARGV[2] then
  log = KEYS[last]
  local clock = KEYS[last - 1]
  c = tick(clock)
  if pcall(redis.call, 'SET', clock, string.format('%.0f', c)) then
    token = string.format('%.0f', c) .. '.' .. ARGV[2]
  end
  last = last - 2
end
local indexes = tonumber(ARGV[6] or '0')
for i = last - indexes + 1, last do
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do redis.call('DEL', member) end
  redis.call('DEL', KEYS[i])
end
last = last - indexes
local function renew(key)
  if ttl > 0 then return pcall(redis.call, 'SET', key, token, 'XX', 'PX', ttl) end
  return pcall(redis.call, 'SET', key, token, 'XX')
end
local kept = token ~= nil
local missing = {}
-- Which versions exist, in one read (most tags of a write have none: ranges no page spans).
local got = {}
if token then got = readKeys(n) end
for i = 1, n do
  if token and not got[i] then
    missing[#missing + 1] = KEYS[i]
  else
    local ok = false
    if token then ok = renew(KEYS[i]) end
    if not ok then
      redis.call('DEL', KEYS[i])
      kept = false
    end
  end
end
if log then
  if kept then logInvalidated(log, c, tonumber(ARGV[4]), tonumber(ARGV[5] or '0'), missing)
  else redis.call('DEL', log) end
end
local total = 0
for i = n + 1, last do
  local count = redis.call('GETDEL', KEYS[i])
  if count then total = total + tonumber(count) end
end
return total
`

/**
 * The current version of each tag, created where missing: read with one `MGET`, then `SET NX GET`
 * per missing key, so a version that exists is kept and a missing one gets this call's token,
 * `<clock>~<random>`, at one tick of the clock (see {@link CLOCK}; `~` tells a version a stamp
 * created from one an invalidation left). One call stamps every tag of an entry (a page showing 60
 * rows has 60 row tags). Answers the versions, then the clock after this call, then `1` when none
 * of the first ARGV[3] keys was invalidated after ARGV[2] (a clock from an earlier call; `-1`: none
 * asked), else `0`: each of them had a version created at or before it or, where a stamp created
 * its version since (or now), the invalidation log (see {@link LOG}) watched since then and holds
 * none of them after it. A version in any other form counts as an invalidation. KEYS tag versions,
 * then the clock key and the log key; ARGV[1] random part of the token, ARGV[2] since, ARGV[3] keys
 * to check, ARGV[4] a created version's expiry in ms (`0`: none).
 *
 * With row sets (ARGV[5] the number of tag keys, ARGV[6] the sets' expiry in ms, ARGV[7] `1`
 * when indexes may expire, ARGV[8] the number `g` of guard versions, then those versions, then
 * one count of index keys per set): after the tag keys, KEYS holds each set's version key followed
 * by its index keys. The guard versions are what the last `g` tag keys had when the value began
 * (a scope's write epochs): where one of them moved and the answer is `0`, the value will not be
 * stored, so no set is stamped and no set version is answered. Otherwise each set gets a version
 * as a tag does (`SET NX GET`), kept at least ARGV[6] ms, and is added to each of its index keys,
 * which then live at least as long (ARGV[7] `1`, where Redis never evicts: `PEXPIRE … GT` from
 * Redis 7, `PTTL` then `PEXPIRE` before) or have no expiry (an expiring key could be evicted, and
 * an evicted index would lose a drop); an index that has grown to a power of two from 64 on sheds
 * the sets whose versions are gone. The sets' versions are answered after the tags', before the
 * clock.
 */
export const STAMP_TAGS = `${CLOCK}${CREATE_OR_GET}${READ_KEYS}
if redis.replicate_commands then redis.replicate_commands() end
local log = KEYS[#KEYS]
local clock = KEYS[#KEYS - 1]
local n = tonumber(ARGV[5] or '') or #KEYS - 2
local c = tick(clock)
local token = string.format('%.0f', c) .. '~' .. ARGV[1]
local since = tonumber(ARGV[2])
local check = tonumber(ARGV[3])
local predate = since >= 0
local ttl = tonumber(ARGV[4] or '0')
local created = false
-- Checked tags whose versions a stamp created after since: only the log tells whether they were
-- invalidated (while they had no version) before that.
local ask = {}
local out = {}
-- Existing versions in one read.
local got = readKeys(n)
for i = 1, n do
  local v = got[i] or createOrGet(KEYS[i], token, ttl)
  if v then
    out[i] = v
    if predate and i <= check then
      local vc, kind = string.match(v, '^(%d+)([%.~])')
      vc = tonumber(vc)
      if not vc then predate = false
      elseif vc > since then
        if kind == '~' then ask[#ask + 1] = KEYS[i] else predate = false end
      end
    end
  else
    out[i] = token
    created = true
    if i <= check then ask[#ask + 1] = KEYS[i] end
  end
end
if predate and #ask > 0 then
  local horizon = tonumber(redis.call('ZSCORE', log, '#'))
  if not horizon or horizon > since then predate = false end
  for i = 1, #ask do
    if not predate then break end
    local s = tonumber(redis.call('ZSCORE', log, ask[i]))
    if s and s > since then predate = false end
  end
end
local guards = tonumber(ARGV[8] or '0')
local stampSets = true
if not predate then
  for k = 1, guards do
    if out[n - guards + k] ~= ARGV[8 + k] then stampSets = false end
  end
end
local pos = n + 1
local setTtl = tonumber(ARGV[6] or '0')
local indexTtl = ARGV[7] == '1'
local gt = (redis.REDIS_VERSION_NUM or 0) >= 0x070000
local function expire(index, fresh)
  if fresh or not gt then
    if fresh or redis.call('PTTL', index) < setTtl then redis.call('PEXPIRE', index, setTtl) end
  else
    redis.call('PEXPIRE', index, setTtl, 'GT')
  end
end
for j = 9 + guards, stampSets and #ARGV or 0 do
  local key = KEYS[pos]
  local v = redis.call('SET', key, token, 'NX', 'GET', 'PX', setTtl)
  if v then
    if redis.call('PTTL', key) < setTtl then redis.call('PEXPIRE', key, setTtl) end
  else
    v = token
    created = true
  end
  out[#out + 1] = v
  for i = pos + 1, pos + tonumber(ARGV[j]) do
    local index = KEYS[i]
    local fresh = false
    if redis.call('SADD', index, key) == 1 then
      local size = redis.call('SCARD', index)
      fresh = size == 1
      if size >= 64 and bit.band(size, size - 1) == 0 then
        for _, member in ipairs(redis.call('SMEMBERS', index)) do
          if redis.call('EXISTS', member) == 0 then redis.call('SREM', index, member) end
        end
      end
    end
    if indexTtl then expire(index, fresh) end
  end
  pos = pos + 1 + tonumber(ARGV[j])
end
local now = tonumber(redis.call('GET', clock)) or 0
if created then
  redis.call('SET', clock, string.format('%.0f', c))
  now = c
end
out[#out + 1] = string.format('%.0f', now)
out[#out + 1] = predate and '1' or '0'
return out
`

/** One counter of {@link SET_COUNTED}, for a Cluster (one key per call). KEYS[1] counter; ARGV[1] ttl ms. */
export const COUNT_ENTRY = `${COUNT}
count(KEYS[1], tonumber(ARGV[1]))
return 1
`

/** DEL the lease only when this token still holds it. KEYS[1] lease; ARGV[1] token. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
