// The Redis store sends its scripts as bare EVALSHAs: a Redis that lost its scripts (restart,
// SCRIPT FLUSH) must still answer every read, leases included, and every write, on any client.
// A private server, so the flush does not reach other test files' connections.
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { usePrivateRedis } from './support/private-redis.js'

const redis = usePrivateRedis()
let n = 0

describe.each([
  ['no options', {}],
  ['auto-pipelining', { enableAutoPipelining: true }],
])('redis store after SCRIPT FLUSH, client with %s', (_, options) => {
  it('first reads, re-reads and getOrSet misses with a lease all answer', async () => {
    const admin = await redis.connect()
    const client = new Redis(redis.server.url, { ...options, maxRetriesPerRequest: 1 })
    try {
      await client.ping()
      const cache = new CacheManager({ store: redisStore({ client }), prefix: `ns${++n}`, l1: false })
      await cache.set('a', { v: 'a' }, { tags: ['t'] })
      await cache.set('b', { v: 'b' }, { tags: ['t'] })
      expect(await cache.get('a')).toEqual({ v: 'a' })

      expect(await admin.script('FLUSH')).toBe('OK')
      // 'b' was never read: the script finds its tags. 'a' is re-read with MGET; 'c' misses and leases.
      const loads: string[] = []
      const got = await Promise.all([
        cache.get('b'),
        cache.get('a'),
        cache.getOrSet('c', async () => {
          loads.push('c')
          return { v: 'c' }
        }),
      ])
      expect(got).toEqual([{ v: 'b' }, { v: 'a' }, { v: 'c' }])
      expect(loads).toEqual(['c'])
      expect(await cache.getOrSet('c', async () => ({ v: 'again' }))).toEqual({ v: 'c' })

      await cache.invalidateTags(['t'])
      await admin.script('FLUSH')
      expect(await Promise.all([cache.get('a'), cache.get('b'), cache.get('never')])).toEqual([
        undefined,
        undefined,
        undefined,
      ])
      // Writes after a flush: stamping tags, a counted set and an invalidation each reload their script.
      await admin.script('FLUSH')
      await cache.set('d', { v: 'd' }, { tags: ['u', 'w'] })
      expect(await cache.get('d')).toEqual({ v: 'd' })
      await admin.script('FLUSH')
      expect(await cache.invalidateTags(['u'])).toBe(1)
      expect(await cache.get('d')).toBeUndefined()
      expect(cache.stats().errors).toBe(0)
      await cache.close()
    } finally {
      client.disconnect()
    }
  })
})
