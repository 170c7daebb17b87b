// The invalidation log on a single Redis node (`<prefix>#clock:log`) holds at most 100,000 tags:
// a write storm moves its horizon up instead of growing it without bound. A stamp older than the
// horizon is told nothing predates it (its response is not stored); newer stamps are answered as
// before.
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import { expect, it } from 'vitest'

const redis = useRedis()
const LOG_MAX = 100_000

it('a write storm trims the invalidation log to its bound and moves its horizon past what it dropped', async () => {
  const prefix = `${redis.prefix}log`
  const cache = new CacheManager({ store: redisStore({ client: redis.client }), prefix, timeout: '10s' })
  const log = `${prefix}#clock:log`
  await cache.invalidateTags(['warm-up']) // the log watches from here on
  const before = (await cache.snapshotTags(['other']))?.clock as number
  await cache.invalidateTags(['row:early'])
  const between = (await cache.snapshotTags(['other']))?.clock as number
  // Tags without a version, each logged: more than the log may hold, in a few calls.
  const storm = Array.from({ length: LOG_MAX + 10 }, (_, i) => `storm:${i}`)
  for (let i = 0; i < storm.length; i += 40_000) await cache.invalidateTags(storm.slice(i, i + 40_000))
  expect(await redis.client.zcard(log)).toBeLessThanOrEqual(LOG_MAX + 1) // the tags and the horizon `#`
  expect(await redis.client.zscore(log, 'storm:0')).toBeNull()
  // Stamps from before the horizon cannot be told anything predates them, whatever the tag.
  const predates = async (tag: string, since: number) =>
    (await cache.snapshotTags([tag], { predating: { clock: since, count: 1 } }))?.predate
  expect(await predates('row:early', before)).toBe(false)
  expect(await predates('row:untouched', between)).toBe(false)
  // After the storm the log answers as before: an invalidation since is seen, no invalidation is not.
  const after = (await cache.snapshotTags(['other']))?.clock as number
  await cache.invalidateTags(['row:late'])
  expect(await predates('row:late', after)).toBe(false)
  expect(await predates('row:quiet', after)).toBe(true)
  await cache.close()
})

it('one invalidation of many tags renews those with versions and logs each of the others', async () => {
  const prefix = `${redis.prefix}many`
  const cache = new CacheManager({ store: redisStore({ client: redis.client }), prefix, timeout: '10s' })
  const log = `${prefix}#clock:log`
  // 1,200 tags (more than one read and one log write of the script take), every third with a version.
  const tags = Array.from({ length: 1200 }, (_, i) => `t:${i}`)
  const versioned = tags.filter((_, i) => i % 3 === 0)
  const stamped = await cache.snapshotTags(versioned)
  const since = stamped?.clock as number
  await cache.invalidateTags(tags)
  const now = await redis.client.mget(versioned.map((t) => `${prefix}#t:${t}`))
  now.forEach((v, i) => {
    expect(v).not.toBeNull()
    expect(v).not.toBe(stamped?.versions[i])
  })
  const scores = await redis.client.zmscore(log, ...tags.map((t) => `${prefix}#t:${t}`))
  for (const [i, tag] of tags.entries()) {
    if (i % 3 === 0) expect(scores[i], tag).toBeNull()
    else expect(Number(scores[i]), tag).toBeGreaterThan(since)
  }
  // The last tag of the call is seen by a stamp from before it, as the first is.
  const predates = async (tag: string) =>
    (await cache.snapshotTags([tag], { predating: { clock: since, count: 1 } }))?.predate
  expect(await predates('t:1')).toBe(false)
  expect(await predates('t:1199')).toBe(false)
  expect(await predates('t:1197')).toBe(false) // a version renewed since
  await cache.close()
})
