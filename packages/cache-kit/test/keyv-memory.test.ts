import { CacheManager } from '@hotpath/cache-kit'
import { keyvStore } from '@hotpath/cache-kit/keyv'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import Keyv from 'keyv'
import { describe, expect, it } from 'vitest'

let n = 0
storeBehaviour('keyv in-memory', {
  store: () => keyvStore(new Keyv(), { shared: false }),
  prefix: () => `t${++n}`,
})

describe('keyv store counters', () => {
  it("a tag's entry counter expires with the entry it counts, so unused tags do not pile up", async () => {
    const map = new Map<string, unknown>()
    const cache = new CacheManager({
      store: keyvStore(new Keyv({ store: map }), { shared: false }),
      prefix: 'kc',
    })
    const before = Date.now()
    await cache.set('a', 1, { tags: ['products'], ttl: '10m' })
    const counter = [...map.entries()].find(([k]) => k.endsWith('kc#n:products'))
    expect(counter).toBeDefined()
    // Keyv keeps `{ value, expires }` (serialized or not, depending on its version).
    const raw = counter?.[1]
    const stored = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { value: unknown; expires?: number }
    expect(stored.expires).toBeGreaterThanOrEqual(before + 600_000)
    expect(stored.expires).toBeLessThanOrEqual(Date.now() + 600_000)
    await cache.close()
  })
})
