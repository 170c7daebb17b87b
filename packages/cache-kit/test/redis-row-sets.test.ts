// Row sets on a single Redis node: a value showing many rows is stamped with one row set tag (its
// hits check one version, not one per row), which the store indexes under each of its rows; a write
// to a row drops the sets showing it, and only those. Where an index could be evicted (an
// `allkeys-*` policy), with `rowSets: false`, or with an L1 under eventual consistency, the value
// carries its rows' own tags instead.
import {
  CacheManager,
  type CacheManagerOptions,
  type Duration,
  rowReadTags,
  rowSetTag,
  rowTags,
} from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { envelopeTagNames } from '../src/envelope.js'
import { PendingInvalidations } from '../src/pending-invalidations.js'
import { Gate } from './express/support/app.js'
import { type HttpClient, serve } from './express/support/http-client.js'
import { usePrivateRedis } from './support/private-redis.js'

const redis = useRedis()
const caches: CacheManager[] = []
afterEach(async () => {
  for (const c of caches.splice(0)) await c.close()
})

let n = 0
function cacheOn(options: Partial<CacheManagerOptions> & { rowSets?: boolean } = {}): {
  cache: CacheManager
  prefix: string
} {
  const { rowSets, ...rest } = options
  const prefix = `${redis.prefix}rs${++n}`
  const store = redisStore({ client: redis.client, ...(rowSets === undefined ? {} : { rowSets }) })
  const cache = new CacheManager({ store, prefix, timeout: '2s', ...rest })
  caches.push(cache)
  return { cache, prefix }
}

/**
 * An app whose `/products` lists `ids` under `cacheResponse` with `rows`; with a `gate`, the
 * handler has read its rows when it waits on it.
 */
function listApp(
  cache: CacheManager,
  ids: readonly number[],
  options: { gate?: Gate; onNotStored?: (reason: string) => void } = {},
) {
  const app = express()
  app.get(
    '/products',
    cacheResponse(cache, {
      ttl: '5m',
      public: true,
      rows: { resource: 'products', ids: (body) => (body as { results: number[] }).results, list: true },
      ...(options.onNotStored ? { onNotStored: options.onNotStored } : {}),
    }),
    async (_req, res) => {
      const rows = [...ids]
      await options.gate?.wait()
      res.json({ results: rows })
    },
  )
  return app
}

const ROWS = (ids: number[]) => rowTags('products', 7, ids)
const SET = (ids: number[]) => rowSetTag('products', 7, ids)
const stampSet = (cache: CacheManager, ids: number[]) =>
  cache.snapshotTags(ROWS(ids), { rowSets: { sets: [{ tag: SET(ids), rows: ROWS(ids) }], ttl: '5m' } })

describe('rowSetTag', () => {
  it('names a set by its rows in any order, apart from other rows, scopes and resources', () => {
    expect(rowSetTag('products', 7, [3, 1, 2])).toBe(rowSetTag('products', 7, [1, 2, 3]))
    expect(rowSetTag('products', 7, [1, 2, 3])).not.toBe(rowSetTag('products', 7, [1, 2, 4]))
    expect(rowSetTag('products', 7, [1, 2])).not.toBe(rowSetTag('products', 8, [1, 2]))
    expect(rowSetTag('products', 7, [1, 2])).not.toBe(rowSetTag('stocks', 7, [1, 2]))
    expect(rowSetTag('products', 7, ['a,b'])).not.toBe(rowSetTag('products', 7, ['a', 'b']))
    expect(rowSetTag('products', 7, [1, 2]).startsWith('~products@7:s:')).toBe(true)
  })
})

describe('row sets on a single Redis node', () => {
  it('a set stands for its rows: a write to one of them drops it, a write to another row does not', async () => {
    const { cache, prefix } = cacheOn()
    const page = [1, 2, 3, 4, 5]
    const other = [6, 7, 8]
    for (const [key, ids] of [
      ['page', page],
      ['other', other],
    ] as const) {
      const snap = await stampSet(cache, ids)
      expect(snap?.setVersions).toHaveLength(1)
      await cache.set(key, ids, { snapshot: { tags: [SET(ids)], versions: snap?.setVersions ?? [] } })
    }
    expect(await redis.client.smembers(`${prefix}#x:${ROWS([3])[0]}`)).toEqual([`${prefix}#t:${SET(page)}`])
    expect(await cache.get('page')).toEqual(page)

    await cache.invalidateRows([{ resource: 'products', scope: 7, ids: [3] }])
    expect(await cache.get('page')).toBeUndefined()
    expect(await cache.get('other')).toEqual(other)
    // The write dropped the index it expanded; the other rows' indexes still name the set.
    expect(await redis.client.exists(`${prefix}#x:${ROWS([3])[0]}`)).toBe(0)
    expect(await redis.client.scard(`${prefix}#x:${ROWS([1])[0]}`)).toBe(1)
    // Stamped again, the same rows get a new version of the same set.
    const again = await stampSet(cache, page)
    await cache.set('page', page, { snapshot: { tags: [SET(page)], versions: again?.setVersions ?? [] } })
    expect(await cache.get('page')).toEqual(page)
  })

  it('indexes each set under its own rows among interleaved tags, and refuses a set whose row is not among the tags', async () => {
    const { cache, prefix } = cacheOn()
    const cats = rowTags('categories', 7, [1, 2])
    const CATS = rowSetTag('categories', 7, [1, 2])
    // Tags interleaved: the sets' rows do not stand together, nor in the sets' order; 'other' is no row.
    const [p1, p2, p3] = ROWS([21, 22, 23]) as [string, string, string]
    const tags = [p3, cats[1] as string, 'other', p1, cats[0] as string, p2]
    const sets = [
      { tag: SET([21, 22, 23]), rows: [p1, p2, p3] },
      { tag: CATS, rows: cats },
    ]
    const snap = await cache.snapshotTags(tags, { rowSets: { sets, ttl: '5m' } })
    expect(snap?.setVersions).toHaveLength(2)
    for (const row of [p1, p2, p3])
      expect(await redis.client.smembers(`${prefix}#x:${row}`)).toEqual([`${prefix}#t:${SET([21, 22, 23])}`])
    for (const row of cats)
      expect(await redis.client.smembers(`${prefix}#x:${row}`)).toEqual([`${prefix}#t:${CATS}`])
    expect(await redis.client.exists(`${prefix}#x:other`)).toBe(0)

    const missing = cache.snapshotTags([p1], {
      rowSets: { sets: [{ tag: SET([21, 22]), rows: [p1, p2] }], ttl: '5m' },
    })
    await expect(missing).rejects.toMatchObject({ name: 'CacheError', code: 'invalid_option' })
  })

  it('a set stamped before a write is dropped by it, even when its value is stored after', async () => {
    const { cache } = cacheOn()
    const page = [10, 11, 12]
    const snap = await stampSet(cache, page)
    await cache.invalidateRows([{ resource: 'products', scope: 7, ids: [11] }])
    await cache.set('late', page, { snapshot: { tags: [SET(page)], versions: snap?.setVersions ?? [] } })
    expect(await cache.get('late')).toBeUndefined()
  })

  it('an index grown to 64 sets sheds the sets whose versions are gone', async () => {
    const { cache, prefix } = cacheOn()
    const index = `${prefix}#x:${ROWS([1])[0]}`
    for (let i = 0; i < 63; i++) await stampSet(cache, [1, 1000 + i])
    expect(await redis.client.scard(index)).toBe(63)
    // Ten sets' versions expire (or are evicted): the 64th set prunes them.
    for (let i = 0; i < 10; i++) await redis.client.del(`${prefix}#t:${SET([1, 1000 + i])}`)
    await stampSet(cache, [1, 2000])
    expect(await redis.client.scard(index)).toBe(54)
  })

  it('stamps no set for a value whose guard moved (it will not be stored), unless its rows predate the move', async () => {
    const { cache, prefix } = cacheOn()
    const EPOCH = '~products@7:w'
    const index = `${prefix}#x:${ROWS([1])[0]}`
    // Rows 4 and 5 have versions from before the value began.
    await cache.snapshotTags(ROWS([4, 5]))
    const before = await cache.snapshotTags([EPOCH])
    const guard = before?.versions ?? []
    const stamp = (ids: number[]) =>
      cache.snapshotTags([...ROWS(ids), EPOCH], {
        predating: { clock: before?.clock ?? 0, count: ids.length },
        rowSets: { sets: [{ tag: SET(ids), rows: ROWS(ids) }], ttl: '5m', guard },
      })
    // Unmoved: the set is stamped.
    expect((await stamp([1, 2]))?.setVersions).toHaveLength(1)
    expect(await redis.client.scard(index)).toBe(1)
    // A write to row 1 moves the epoch: a value read before it is refused, and leaves no set behind.
    await cache.invalidateRows([{ resource: 'products', scope: 7, ids: [1] }])
    const refused = await stamp([1, 3])
    expect(refused?.predate).toBe(false)
    expect(refused?.setVersions).toBeUndefined()
    expect(await redis.client.exists(`${prefix}#t:${SET([1, 3])}`)).toBe(0)
    expect(await redis.client.exists(index)).toBe(0)
    // Rows the write did not touch predate it: their set is stamped though the epoch moved.
    const untouched = await stamp([4, 5])
    expect(untouched?.predate).toBe(true)
    expect(untouched?.setVersions).toHaveLength(1)
  })

  it('a set version lives at least as long as the entries stamped with it', async () => {
    const { cache, prefix } = cacheOn()
    await cache.snapshotTags(ROWS([1, 2]), {
      rowSets: { sets: [{ tag: SET([1, 2]), rows: ROWS([1, 2]) }], ttl: '1m' },
    })
    const key = `${prefix}#t:${SET([1, 2])}`
    expect(await redis.client.pttl(key)).toBeGreaterThan(50_000)
    await cache.snapshotTags(ROWS([1, 2]), {
      rowSets: { sets: [{ tag: SET([1, 2]), rows: ROWS([1, 2]) }], ttl: '1h' },
    })
    expect(await redis.client.pttl(key)).toBeGreaterThan(3_000_000)
    await cache.snapshotTags(ROWS([1, 2]), {
      rowSets: { sets: [{ tag: SET([1, 2]), rows: ROWS([1, 2]) }], ttl: '1m' },
    })
    expect(await redis.client.pttl(key)).toBeGreaterThan(3_000_000)
  })

  it('no row sets with `rowSets: false`, or with an L1 under eventual consistency', async () => {
    expect((await stampSet(cacheOn({ rowSets: false }).cache, [1, 2]))?.setVersions).toBeUndefined()
    expect((await stampSet(cacheOn({ l1: { maxEntries: 10 } }).cache, [1, 2]))?.setVersions).toBeUndefined()
    const strict = cacheOn({ l1: { maxEntries: 10 }, consistency: 'strict' }).cache
    expect((await stampSet(strict, [1, 2]))?.setVersions).toHaveLength(1)
  })

  it('a process that stamps no sets (`rowSets: false`) still drops the sets others stamped on its prefix', async () => {
    const { cache: stamping, prefix } = cacheOn()
    const plain = new CacheManager({
      store: redisStore({ client: redis.client, rowSets: false }),
      prefix,
      timeout: '2s',
    })
    caches.push(plain)
    const snap = await stampSet(stamping, [1, 2, 3])
    await stamping.set('page', [1, 2, 3], {
      snapshot: { tags: [SET([1, 2, 3])], versions: snap?.setVersions ?? [] },
    })
    expect(await plain.get('page')).toEqual([1, 2, 3])
    await plain.invalidateRows([{ resource: 'products', scope: 7, ids: [2] }])
    expect(await stamping.get('page')).toBeUndefined()
    expect(await plain.get('page')).toBeUndefined()
  })

  it('a list page cached by cacheResponse carries its row set, not a tag per row', async () => {
    const { cache, prefix } = cacheOn({ consistency: 'strict' })
    const ids = Array.from({ length: 50 }, (_, i) => i + 1)
    const served = await serve(listApp(cache, ids))
    try {
      const http: HttpClient = served.http
      expect((await http.get('/products')).headers['x-cache']).toBe('MISS')
      const [key] = await redis.client.keys(`${prefix}:*`)
      const tags = envelopeTagNames((await redis.client.getBuffer(key as string)) as Buffer)
      expect(tags).toContain(rowSetTag('products', '', ids))
      expect(tags.filter((t) => t.includes(':r:'))).toEqual([])
      expect((await http.get('/products')).headers['x-cache']).toBe('HIT')
      await cache.invalidateRows([{ resource: 'products', ids: [50] }])
      expect((await http.get('/products')).headers['x-cache']).toBe('MISS')
    } finally {
      await served.close()
    }
  })

  it('a list page refused by the race guard leaves no set and no index behind', async () => {
    const { cache, prefix } = cacheOn({ consistency: 'strict' })
    const ids = Array.from({ length: 20 }, (_, i) => i + 1)
    const refused: string[] = []
    const gate = new Gate()
    const served = await serve(listApp(cache, ids, { gate, onNotStored: (reason) => refused.push(reason) }))
    try {
      const read = served.http.get('/products')
      await gate.waiting // the handler has read its rows
      await cache.invalidateRows([{ resource: 'products', ids: [7] }])
      gate.release()
      expect((await read).headers['x-cache']).toBe('MISS')
      expect(refused).toEqual(['invalidated'])
      expect(await redis.client.keys(`${prefix}#x:*`)).toEqual([])
      expect(await redis.client.keys(`${prefix}#t:*:s:*`)).toEqual([])
    } finally {
      await served.close()
    }
  })
})

describe('row sets and the eviction policy', () => {
  const own = usePrivateRedis()
  it('an `allkeys-*` policy: the rows keep their own tags (`rowSets: true` overrides)', async () => {
    const client = await own.connect()
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru')
    const auto = new CacheManager({ store: redisStore({ client }), prefix: 'auto' })
    const forced = new CacheManager({ store: redisStore({ client, rowSets: true }), prefix: 'forced' })
    caches.push(auto, forced)
    expect((await stampSet(auto, [1, 2]))?.setVersions).toBeUndefined()
    expect(await client.exists(`auto#x:${ROWS([1])[0]}`)).toBe(0)
    expect((await stampSet(forced, [1, 2]))?.setVersions).toHaveLength(1)
    expect(await client.pttl(`forced#x:${ROWS([1])[0]}`)).toBe(-1)
  })

  it('indexes expire with their sets under `noeviction`, and never under a `volatile-*` policy', async () => {
    const client = await own.connect()
    const index = (prefix: string) => `${prefix}#x:${ROWS([1])[0]}`
    await client.config('SET', 'maxmemory-policy', 'noeviction')
    const expiring = new CacheManager({ store: redisStore({ client }), prefix: 'noeviction' })
    caches.push(expiring)
    expect((await stampSet(expiring, [1, 2]))?.setVersions).toHaveLength(1)
    expect(await client.pttl(index('noeviction'))).toBeGreaterThan(250_000) // the entry's 5 minutes
    // A longer-lived set lengthens the index's life; a shorter-lived one never shortens it.
    const stampFor = (ids: number[], ttl: Duration) =>
      expiring.snapshotTags(ROWS(ids), { rowSets: { sets: [{ tag: SET(ids), rows: ROWS(ids) }], ttl } })
    await stampFor([1, 3], '1h')
    expect(await client.pttl(index('noeviction'))).toBeGreaterThan(3_000_000)
    await stampFor([1, 4], '1m')
    expect(await client.pttl(index('noeviction'))).toBeGreaterThan(3_000_000)
    await client.config('SET', 'maxmemory-policy', 'volatile-lru')
    const kept = new CacheManager({ store: redisStore({ client }), prefix: 'volatile' })
    caches.push(kept)
    expect((await stampSet(kept, [1, 2]))?.setVersions).toHaveLength(1)
    expect(await client.pttl(index('volatile'))).toBe(-1)
  })
})

describe('a pending row invalidation', () => {
  it('covers the row sets of its resource and scope', () => {
    const pending = new PendingInvalidations()
    pending.add('tags', [ROWS([3])[0] as string])
    expect(pending.covers('k', [{ name: SET([1, 2, 3]) }])).toBe(true)
    expect(pending.covers('k', [{ name: rowSetTag('products', 8, [1, 2]) }])).toBe(false)
    expect(pending.covers('k', [{ name: rowSetTag('stocks', 7, [1, 2]) }])).toBe(false)
    // A range tag of a column named `s` is no row set.
    const ranged = rowReadTags({ resource: 'products', scope: 7, ranges: [{ column: 's', low: 1, high: 2 }] })
    expect(ranged.some((t) => t.includes(':s:'))).toBe(true)
    expect(ranged.every((t) => !pending.covers('k', [{ name: t }]))).toBe(true)
  })
})
