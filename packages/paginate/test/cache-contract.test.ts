import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { type PaginationCache, paginate, parsePageParams } from '@hotpath/paginate'
import { useDatabase, useRedis } from '@hotpath/test-services'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { createItems, makeItems, referenceOrder } from './fixtures.js'

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
})

const redis = useRedis()
const db = useDatabase('sqlite')
const stores = {
  memory: () => memoryStore(),
  redis: () => redisStore({ client: redis.client }),
}

beforeAll(async () => {
  await createItems(db.knex, 'items')
  await db.knex('items').insert(makeItems(30, () => 1, 3))
  await db.knex('items').insert(makeItems(31, () => 2, 4))
})

describe.each(Object.keys(stores) as Array<keyof typeof stores>)('cache-kit CacheManager on %s', (store) => {
  let cache: CacheManager
  beforeAll(() => {
    // failOpen: false so a slow or failing store fails the test instead of passing as a miss.
    cache = new CacheManager({
      store: stores[store](),
      prefix: `${redis.prefix}${store}`,
      timeout: '5s',
      failOpen: false,
    })
  })
  afterAll(() => cache.close())

  const params = (query: Record<string, string>) =>
    parsePageParams(query, {
      defaultPageSize: 3,
      ordering: { allowed: ['name', 'created_at', 'id'], default: ['id'] },
    })

  it('caches the count under paginate:<table> and the caller tags, dropped by invalidateTags', async () => {
    const count = async () =>
      (
        await paginate(db.knex('items').where('tenant', 1), {
          strategy: 'cached',
          params: params({}),
          cache,
          cacheTags: ['company:1'],
        })
      ).count
    const [{ n }] = (await db.knex('items').where('tenant', 1).count({ n: '*' })) as [{ n: number }]
    const start = Number(n)
    expect(await count()).toBe(start)
    await db.knex('items').insert(makeItems(2, () => 1, 5))
    expect(await count()).toBe(start)
    await cache.invalidateTags(['paginate:items'])
    expect(await count()).toBe(start + 2)
    await db.knex('items').insert(makeItems(1, () => 1, 6))
    await cache.invalidateTags(['company:1'])
    expect(await count()).toBe(start + 3)
  })

  it('smart walks every page in order through boundaries stored in the cache', async () => {
    const ordering = '-created_at,name'
    const expected = referenceOrder(await db.knex('items').where('tenant', 2), ordering)
    const seen: number[] = []
    for (let page = 1; page <= 11; page++) {
      const p = await paginate(db.knex('items').where('tenant', 2), {
        strategy: 'smart',
        params: params({ ordering, page: String(page) }),
        cache,
        checkpointEvery: 2,
        countThreshold: 10,
      })
      expect(p.countIsEstimate).toBe(true)
      seen.push(...p.results.map((r) => Number(r.id)))
      expect(p.next === null).toBe(page === 11)
    }
    expect(seen).toEqual(expected)
  })
})
