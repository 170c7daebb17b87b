// Tag versions on Redis expire `tagTtl` after they were created or last invalidated, so the keys of
// rows no cached response shows any more do not stay forever; an expired version only costs the
// entries stamped with it one miss.
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import { describe, expect, it } from 'vitest'

const redis = useRedis()
const cluster = useRedisCluster()
/** A cache whose tag versions live an hour. */
const hourly = (client: Parameters<typeof redisStore>[0]['client'], prefix: string) =>
  new CacheManager({ store: redisStore({ client, tagTtl: '1h' }), prefix, timeout: '2s' })

describe('tag versions on Redis', () => {
  it('expire tagTtl after their creation, renewed by an invalidation (single node)', async () => {
    const prefix = `${redis.prefix}expiry`
    const cache = hourly(redis.client, prefix)
    await cache.set('k', 1, { tags: ['products'] })
    const key = `${prefix}#t:products`
    const created = await redis.client.pttl(key)
    expect(created).toBeGreaterThan(3_590_000)
    expect(created).toBeLessThanOrEqual(3_600_000)
    await redis.client.pexpire(key, 60_000) // as if most of the hour had gone by
    await cache.invalidateTags(['products'])
    expect(await redis.client.pttl(key)).toBeGreaterThan(3_590_000)
    expect(await cache.get('k')).toBeUndefined()
    // A version that expired reads as missing: entries stamped with it are misses, not errors.
    await cache.set('k', 2, { tags: ['products'] })
    await redis.client.del(key)
    expect(await cache.get('k')).toBeUndefined()
    await cache.close()
  })

  it('with tagTtl false, versions never expire', async () => {
    const prefix = `${redis.prefix}forever`
    const cache = new CacheManager({ store: redisStore({ client: redis.client, tagTtl: false }), prefix })
    await cache.set('k', 1, { tags: ['products'] })
    await cache.invalidateTags(['products'])
    await cache.set('k', 1, { tags: ['products'] })
    expect(await redis.client.pttl(`${prefix}#t:products`)).toBe(-1)
    await cache.close()
  })

  it('expire on a Cluster too, where each version is its own command', async () => {
    const prefix = `${cluster.prefix}expiry`
    const cache = hourly(cluster.client, prefix)
    await cache.set('k', 1, { tags: ['products'] })
    expect(await cluster.client.pttl(`${prefix}#t:products`)).toBeGreaterThan(3_590_000)
    await cache.close()
  })

  it('the entry counter of a tag lives as long as the longest entry it counts (single node and Cluster)', async () => {
    for (const [server, name] of [
      [redis, 'counted'],
      [cluster, 'counted'],
    ] as const) {
      const prefix = `${server.prefix}${name}`
      const cache = hourly(server.client, prefix)
      const counter = `${prefix}#n:products`
      await cache.set('a', 1, { tags: ['products'], ttl: '10m' })
      const first = await server.client.pttl(counter)
      expect(first).toBeGreaterThan(590_000)
      expect(first).toBeLessThanOrEqual(600_000)
      await cache.set('b', 2, { tags: ['products'], ttl: '30m' })
      expect(await server.client.pttl(counter)).toBeGreaterThan(1_790_000)
      // A shorter entry does not shorten it: the 30-minute entry is still counted.
      await cache.set('c', 3, { tags: ['products'], ttl: '1m' })
      expect(await server.client.pttl(counter)).toBeGreaterThan(1_790_000)
      expect(await cache.invalidateTags(['products'])).toBe(3)
      await cache.close()
    }
  })

  it('rejects a tagTtl that is not a positive duration', () => {
    expect(() => redisStore({ client: redis.client, tagTtl: 0 })).toThrow(/tagTtl/)
  })
})
