import { CacheError, CacheManager, memoryStore } from '@hotpath/cache-kit'
import { keyvStore } from '@hotpath/cache-kit/keyv'
import Keyv from 'keyv'
import { describe, expect, it } from 'vitest'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const big = 'x'.repeat(5000)

describe('manager options', () => {
  it('compressThreshold moves or switches off gzip', async () => {
    const store = memoryStore()
    const flag = async (prefix: string) => ((await store.get(`${prefix}:k`))?.[2] ?? 9) & 1
    await new CacheManager({ store, prefix: 'off', compressThreshold: false }).set('k', big)
    await new CacheManager({ store, prefix: 'high', compressThreshold: 10_000 }).set('k', big)
    await new CacheManager({ store, prefix: 'low', compressThreshold: 100 }).set('k', big)
    expect([await flag('off'), await flag('high'), await flag('low')]).toEqual([0, 0, 1])
  })

  it('without a bus, l1.ttl bounds how long another process write goes unseen', async () => {
    const keyv = new Keyv()
    const reader = new CacheManager({
      store: keyvStore(keyv, { shared: false }),
      prefix: 'p',
      l1: { ttl: '400ms' },
    })
    const writer = new CacheManager({ store: keyvStore(keyv, { shared: false }), prefix: 'p' })
    await writer.set('k', 1)
    expect(await reader.get('k')).toBe(1)
    await writer.set('k', 2)
    expect(await reader.get('k')).toBe(1) // its L1 copy, until l1.ttl
    await sleep(500)
    expect(await reader.get('k')).toBe(2)
    expect(reader.stats().l1).toMatchObject({ hits: 1, misses: 2 })
  })

  it('rejects invalidatePattern with unsupported when the store cannot list keys', async () => {
    const map = new Map<string, unknown>()
    // A Keyv adapter without an iterator: get/set/delete/clear only.
    const adapter = {
      get: async (k: string) => map.get(k),
      set: async (k: string, v: unknown) => {
        map.set(k, v)
      },
      delete: async (k: string) => map.delete(k),
      clear: async () => map.clear(),
      on: () => adapter,
    }
    const cache = new CacheManager({ store: keyvStore(new Keyv({ store: adapter }), { shared: false }) })
    await cache.set('a', 1)
    expect(await cache.get('a')).toBe(1)
    await expect(cache.invalidatePattern('*')).rejects.toMatchObject({ code: 'unsupported' })
  })

  it('refuses options a store cannot honour', () => {
    expect(() => new CacheManager({ store: memoryStore(), lock: true })).toThrow(CacheError)
    expect(() => new CacheManager({ store: memoryStore(), bus: true })).toThrow(CacheError)
    expect(() => new CacheManager({ ttl: '5 minutes' as '5m' })).toThrow(CacheError)
    expect(() => new CacheManager({ prefix: '' })).toThrow(CacheError)
  })

  it('does not store undefined, and a zero ttl stores nothing', async () => {
    const cache = new CacheManager()
    await cache.set('u', undefined)
    await cache.set('z', 1, { ttl: 0 })
    expect(await cache.get('u')).toBeUndefined()
    expect(await cache.get('z')).toBeUndefined()
    expect(cache.stats().sets).toBe(0)
  })
})
