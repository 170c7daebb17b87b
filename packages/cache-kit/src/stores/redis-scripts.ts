/**
 * Lua run by the single-node Redis store. On a Cluster the store issues plain per-key commands
 * instead, because these scripts touch keys (tag versions) that may live in other slots.
 */

/**
 * GET the entry, then GET the current version of every tag named in its envelope (see
 * `envelope.ts` for the layout): a hit with tags costs one round trip. Returns `{ bytes, v1, v2… }`,
 * or the bytes alone when there is no tag to check.
 * On a miss with KEYS[2] given, also tries to take that lease (SET NX PX): returns 1 when taken,
 * 0 when another process holds it, so a `getOrSet` miss needs no separate lease round trip.
 * KEYS[1] entry key, KEYS[2] optional lease key; ARGV[1] tag key prefix, ARGV[2] token, ARGV[3] lease ms.
 */
export const READ_WITH_TAGS = `
local v = redis.call('GET', KEYS[1])
if not v then
  if KEYS[2] then
    if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
    return 0
  end
  return nil
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
  out[#out + 1] = redis.call('GET', ARGV[1] .. name) or ''
end
return out
`

/** SET the entry with PX and INCR each per-tag entry counter. KEYS[1] entry, KEYS[2..] counters; ARGV bytes, ttl ms. */
export const SET_COUNTED = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do redis.call('INCR', KEYS[i]) end
return 1
`

/**
 * DEL every tag version and GETDEL every counter; returns the counters' sum. Deletes, not INCR:
 * they still run when Redis is out of memory, so an invalidation cannot fail while reads go on.
 * KEYS tags then counters; ARGV[1] tag count.
 */
export const INVALIDATE_TAGS = `
local n = tonumber(ARGV[1])
local total = 0
for i = 1, n do redis.call('DEL', KEYS[i]) end
for i = n + 1, #KEYS do
  local c = redis.call('GETDEL', KEYS[i])
  if c then total = total + tonumber(c) end
end
return total
`

/** DEL the lease only when this token still holds it. KEYS[1] lease; ARGV[1] token. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
