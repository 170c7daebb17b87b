import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import { afterAll, describe, expect, it } from 'vitest'
import { describeRowPrecision } from './support/rows-suite.js'

describeRowPrecision(
  'the memory store',
  () => new CacheManager({ store: memoryStore(), prefix: 'http-rows' }),
  true,
)

const redis = useRedis()
describeRowPrecision(
  'Redis, strict consistency',
  () =>
    new CacheManager({
      store: redisStore({ client: redis.client }),
      prefix: `${redis.prefix}rows`,
      timeout: '2s',
      consistency: 'strict',
    }),
  true,
)

const cluster = useRedisCluster()
describeRowPrecision(
  'Redis Cluster',
  () =>
    new CacheManager({
      store: redisStore({ client: cluster.client }),
      prefix: `${cluster.prefix}rows`,
      timeout: '2s',
    }),
  false,
)

describe('keepsRowSets', () => {
  const made: CacheManager[] = []
  afterAll(async () => {
    for (const c of made) await c.close()
  })
  const make = (cache: CacheManager) => {
    made.push(cache)
    return cache
  }

  it('is true on a single Redis node (without an L1 or under strict consistency), false elsewhere', () => {
    const single = redisStore({ client: redis.client })
    const prefix = `${redis.prefix}keeps`
    expect(make(new CacheManager({ store: memoryStore() })).keepsRowSets).toBe(false)
    expect(make(new CacheManager({ store: single, prefix })).keepsRowSets).toBe(true)
    expect(
      make(new CacheManager({ store: single, prefix, consistency: 'strict', l1: {} })).keepsRowSets,
    ).toBe(true)
    expect(make(new CacheManager({ store: single, prefix, l1: {} })).keepsRowSets).toBe(false)
    expect(
      make(
        new CacheManager({ store: redisStore({ client: cluster.client }), prefix: `${cluster.prefix}keeps` }),
      ).keepsRowSets,
    ).toBe(false)
  })
})
