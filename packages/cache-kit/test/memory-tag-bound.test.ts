// The memory store's tag versions are bounded (`maxTags`): row tags would otherwise grow with every
// row ever shown. A version that goes costs the entries stamped with it one miss, and never makes an
// entry valid again.
import { CacheError, CacheManager, memoryStore } from '@hotpath/cache-kit'
import { describe, expect, it } from 'vitest'

const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `row:${from + i}`)

describe('memoryStore maxTags', () => {
  it('keeps at most maxTags versions, the least recently used going first', async () => {
    const store = memoryStore({ maxTags: 100 })
    const [hot] = await store.stampTags(['hot'])
    for (const k of keys(1000)) {
      await store.stampTags([k])
      if (k.endsWith('0')) await store.stampTags(['hot']) // used again now and then
    }
    const left = (await store.tagVersions(keys(1000))).filter((v) => v !== '')
    expect(left.length).toBeGreaterThan(0)
    expect(left.length).toBeLessThanOrEqual(100)
    // The newest survive; the first ones went.
    expect((await store.tagVersions(keys(1, 999)))[0]).not.toBe('')
    expect((await store.tagVersions(keys(1, 0)))[0]).toBe('')
    expect(await store.tagVersions(['hot'])).toEqual([hot])
  })

  it('an entry whose version went reads as a miss, and an invalidation cannot make it valid again', async () => {
    const cache = new CacheManager({ store: memoryStore({ maxTags: 10 }), prefix: 'bound' })
    await cache.set('e', 'old', { tags: ['a'] })
    expect(await cache.get('e')).toBe('old') // read once: the store now holds the entry's cells
    for (let i = 0; i < 30; i++) await cache.set(`other${i}`, i, { tags: [`t${i}`] })
    expect(await cache.get('e')).toBeUndefined()
    await cache.invalidateTags(['a'])
    await cache.set('f', 'new', { tags: ['a'] }) // a new version of `a`
    expect(await cache.get('e')).toBeUndefined()
    expect(await cache.get('f')).toBe('new')
    await cache.close()
  })

  it('a snapshot taken before its tag went and was invalidated does not predate the invalidation', async () => {
    const cache = new CacheManager({ store: memoryStore({ maxTags: 10 }), prefix: 'race' })
    const before = await cache.snapshotTags(['r'])
    const clock = before?.clock as number
    expect(clock).toBeTypeOf('number')
    for (let i = 0; i < 30; i++) await cache.snapshotTags([`t${i}`])
    await cache.invalidateTags(['r'])
    const after = await cache.snapshotTags(['r'], { predating: { clock, count: 1 } })
    expect(after?.predate).toBe(false)
    expect(after?.versions).not.toEqual(before?.versions)
    // Untouched since, a tag still predates a later snapshot.
    const quiet = await cache.snapshotTags(['q'])
    const again = await cache.snapshotTags(['q'], { predating: { clock: quiet?.clock as number, count: 1 } })
    expect(again?.predate).toBe(true)
    await cache.close()
  })

  it('entry counters are bounded too: the newest tags still count their entries', async () => {
    const cache = new CacheManager({ store: memoryStore({ maxTags: 10 }), prefix: 'count' })
    for (let i = 0; i < 30; i++) await cache.set(`k${i}`, i, { tags: [`t${i}`] })
    expect(await cache.invalidateTags(['t29'])).toBe(1)
    expect(await cache.invalidateTags(['t0'])).toBe(0) // its counter went with the bound
    await cache.close()
  })

  it('rejects a maxTags that is not a positive integer', () => {
    for (const maxTags of [0, -1, 1.5, Number.NaN]) expect(() => memoryStore({ maxTags })).toThrow(CacheError)
  })
})
