import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { describe, expect, it } from 'vitest'

describe('set with a snapshot on a cache with an L1', () => {
  it('keeps out of L1 a value whose snapshot predates an invalidation, and stores it stamped', async () => {
    const cache = new CacheManager({ store: memoryStore(), prefix: 'snap', l1: { maxEntries: 100 } })
    const early = await cache.snapshotTags(['a'])
    expect(early?.since).toBe(0)
    await cache.invalidateTags(['b']) // any invalidation heard: an L1 copy may predate it
    await cache.set('k1', 'v1', { snapshot: early! })
    const late = await cache.snapshotTags(['a'])
    await cache.set('k2', 'v2', { snapshot: late! })
    const before = cache.stats().l1!.hits
    expect(await cache.get('k1')).toBe('v1') // from the store: its tags still hold
    expect(await cache.get('k2')).toBe('v2')
    expect(cache.stats().l1!.hits - before).toBe(1) // only k2 was in L1
    await cache.invalidateTags(['a'])
    expect(await cache.get('k1')).toBeUndefined()
    await cache.close()
  })
})
