import { CacheManager, memoryStore, rowReadTags, rowTags } from '@hotpath/cache-kit'
import { describe, expect, it } from 'vitest'

describe('invalidateRows', () => {
  it('drops the values a change can change: shown rows, read columns, a scope’s lists', async () => {
    const cache = new CacheManager({ store: memoryStore(), prefix: 'row-tags' })
    const byPrice = rowReadTags({ resource: 'products', scope: 1, columns: ['price'], list: true })
    const detail42 = rowTags('products', 1, [42])
    const other = rowReadTags({ resource: 'products', scope: 2, columns: ['price'], list: true })
    const store = async () => {
      await cache.set('count-by-price', 120, { tags: byPrice })
      await cache.set('detail-42', { id: 42 }, { tags: detail42 })
      await cache.set('other-tenant', 7, { tags: other })
    }
    const present = async () =>
      [await cache.get('count-by-price'), await cache.get('detail-42'), await cache.get('other-tenant')].map(
        (v) => v !== undefined,
      )

    await store()
    await cache.invalidateRows([{ resource: 'products', scope: 1, ids: [7], columns: ['name'] }])
    expect(await present()).toEqual([true, true, true])
    await cache.invalidateRows([{ resource: 'products', scope: 1, ids: [42], columns: ['name'] }])
    expect(await present()).toEqual([true, false, true])
    await store()
    await cache.invalidateRows([{ resource: 'products', scope: 1, columns: ['price'] }])
    expect(await present()).toEqual([false, true, true])
    await store()
    await cache.invalidateRows([{ resource: 'products', scope: 1, ids: [121], membership: true }])
    expect(await present()).toEqual([false, true, true])
    expect(await cache.invalidateRows([])).toBe(0)
    await cache.close()
  })

  it('counts an entry once per resource and scope, however many rows it shows', async () => {
    const cache = new CacheManager({ store: memoryStore(), prefix: 'row-tags-count' })
    await cache.set('page', [1, 2, 3], { tags: rowTags('products', 1, [1, 2, 3]) })
    await cache.set('detail-2', { id: 2 }, { tags: rowTags('products', 1, [2]) })
    await cache.set('other-tenant', 9, { tags: rowTags('products', 2, [2]) })
    expect(await cache.invalidateRows([{ resource: 'products', scope: 1, ids: [2] }])).toBe(2)
    expect(await cache.get('page')).toBeUndefined()
    expect(await cache.get('other-tenant')).toBe(9)
    await cache.close()
  })

  it('drops a value read over a range only when a change of the column meets that range', async () => {
    const cache = new CacheManager({ store: memoryStore(), prefix: 'row-tags-range' })
    const read = (low: number, high: number) =>
      rowReadTags({ resource: 'stocks', scope: 1, ranges: [{ column: 'updated_at', low, high }] })
    const t = 1_780_000_000_000
    const cases: [string, number, number][] = [
      ['recent', t - 60_000, t], // the first page: the last minute
      ['older', t - 172_800_000, t - 86_400_000], // a deeper page: two days to a day ago
      ['unknown', Number.NaN, t], // no range known: depends on the whole column
    ]
    const store = async () => {
      for (const [key, low, high] of cases) await cache.set(key, key, { tags: read(low, high) })
    }
    const present = async () => Promise.all(cases.map(async ([key]) => (await cache.get(key)) !== undefined))
    const change = (ranges: { column: string; low: number; high: number }[], columns?: string[]) =>
      cache.invalidateRows([
        { resource: 'stocks', scope: 1, ids: [7], ranges, ...(columns ? { columns } : {}) },
      ])

    await store()
    // A stock updated 30 s ago is updated now (high before low: either order).
    await change([{ column: 'updated_at', low: t + 1000, high: t - 30_000 }])
    expect(await present()).toEqual([false, true, false])
    await store()
    await change([{ column: 'updated_at', low: t - 129_600_000, high: t + 1000 }]) // updated 36 h ago
    expect(await present()).toEqual([false, false, false])
    await store()
    await change([{ column: 'quantity', low: 1, high: 2 }])
    expect(await present()).toEqual([true, true, true])
    // The column changed and its old value is unknown: every value reading it is dropped.
    await change([], ['updated_at'])
    expect(await present()).toEqual([false, false, false])
    await store()
    await change([{ column: 'updated_at', low: Number.NaN, high: t }])
    expect(await present()).toEqual([false, false, false])
    await cache.close()
  })

  it('names tags so that no resource, scope, id or column forges another’s', () => {
    expect(rowTags('a:r', 1, [2])).not.toEqual(rowTags('a', 1, ['r:2']))
    expect(rowReadTags({ resource: 'p', scope: 'x@1', columns: ['c'] })).not.toEqual(
      rowReadTags({ resource: 'p@x', scope: 1, columns: ['c'] }),
    )
  })
})
