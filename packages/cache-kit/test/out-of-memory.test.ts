import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { expect, it } from 'vitest'
import { usePrivateRedis } from './support/private-redis.js'

// Private and small, with noeviction: writes fail with -OOM once it is full.
const redis = usePrivateRedis({ maxmemoryBytes: 4 << 20 })
const connect = () => redis.connect()

it('a Redis out of memory still takes tag invalidations, so no stale entry is served', async () => {
  const admin = await connect()
  const cache = new CacheManager({
    store: redisStore({ client: await connect() }),
    prefix: 'oom',
    timeout: '2s',
  })
  const errors: string[] = []
  cache.on('error', (e) => errors.push(e.error.message))
  await cache.set('product:1', { price: 10 }, { tags: ['products'] })
  expect(await cache.get('product:1')).toEqual({ price: 10 })
  // Past maxmemory (noeviction), Redis refuses every write command and still runs reads and deletes.
  await admin.config('SET', 'maxmemory', '1')
  await expect(admin.set('probe', 'x')).rejects.toThrow(/OOM/)
  // Writes now fail (counted, fail-open)...
  await cache.set('product:2', { price: 20 }, { tags: ['products'] })
  expect(errors.some((m) => m.includes('OOM'))).toBe(true)
  expect(await cache.get('product:2')).toBeUndefined()
  // ...but the invalidation of a price change does not, and the old price is no longer served.
  errors.length = 0
  expect(await cache.invalidateTags(['products'])).toBe(1)
  expect(errors).toEqual([])
  expect(await cache.get('product:1')).toBeUndefined()
})

it('an invalidation Redis could not log leaves no later stamp told that its tag predates it', async () => {
  const admin = await connect()
  await admin.config('SET', 'maxmemory', String(4 << 20))
  const cache = new CacheManager({
    store: redisStore({ client: await connect() }),
    prefix: 'oom-log',
    timeout: '2s',
  })
  await cache.invalidateTags(['warm-up']) // the log watches from here on
  const since = (await cache.snapshotTags(['other']))?.clock as number
  await admin.config('SET', 'maxmemory', '1')
  // `row:7` has no version: only the log could tell of this invalidation, and Redis refuses to log it.
  await cache.invalidateTags(['row:7'])
  await admin.config('SET', 'maxmemory', String(4 << 20))
  const stamp = await cache.snapshotTags(['row:7'], { predating: { clock: since, count: 1 } })
  expect(stamp?.predate).toBe(false)
})
