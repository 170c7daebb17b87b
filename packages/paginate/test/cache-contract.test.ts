import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { type PaginationCache, paginate, parsePageParams } from '@hotpath/paginate'
import { useDatabase } from '@hotpath/test-services'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { createItems, makeItems } from './fixtures.js'

/** The smallest object `cached`/`smart` accept: only `getOrSet(key, loader, { ttl, tags })`. */
interface StandIn {
  getOrSet<T>(
    key: string,
    loader: () => Promise<T>,
    options?: { ttl?: number; tags?: readonly string[] },
  ): Promise<T>
}

describe('PaginationCache', () => {
  it('is satisfied by a structural stand-in and by cache-kit CacheManager (checked by tsc)', () => {
    expectTypeOf<StandIn>().toExtend<PaginationCache>()
    expectTypeOf<CacheManager>().toExtend<PaginationCache>()
    expectTypeOf<{ get(key: string): unknown }>().not.toExtend<PaginationCache>()
  })

  describe('with cache-kit CacheManager on memoryStore', () => {
    const db = useDatabase('sqlite')
    const cache = new CacheManager({ store: memoryStore() })
    beforeAll(async () => {
      await createItems(db.knex, 'items')
      await db.knex('items').insert(makeItems(30, () => 1, 3))
    })
    afterAll(() => cache.close())

    it('caches the count under paginate:<table> and drops it on invalidateTags', async () => {
      const count = async () =>
        (
          await paginate(db.knex('items').where('tenant', 1), {
            strategy: 'cached',
            params: parsePageParams({}, { ordering: { allowed: ['id'], default: ['id'] } }),
            cache,
            cacheTags: ['company:1'],
          })
        ).count
      expect(await count()).toBe(30)
      await db.knex('items').insert(makeItems(2, () => 1, 4))
      expect(await count()).toBe(30)
      await cache.invalidateTags(['paginate:items'])
      expect(await count()).toBe(32)
      await db.knex('items').insert(makeItems(1, () => 1, 5))
      await cache.invalidateTags(['company:1'])
      expect(await count()).toBe(33)
    })
  })
})
