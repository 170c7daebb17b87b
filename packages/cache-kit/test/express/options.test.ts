import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { CacheResponseError, cacheResponse } from '@hotpath/cache-kit/express'
import { describe, expect, it } from 'vitest'
import { resolvePolicy } from '../../src/express/options.js'

describe('options', () => {
  const cache = new CacheManager({ store: memoryStore() })
  it('requires a scope unless public', () => {
    expect(() => cacheResponse(cache, { ttl: '5m' })).toThrow(CacheResponseError)
    expect(() => cacheResponse(cache, { ttl: '5m', public: true, scope: () => 'a' })).toThrow(/exclude/)
    expect(() => cacheResponse(cache, { ttl: 'soon' as '5m', public: true })).toThrow(/duration/)
    expect(() => cacheResponse(cache, { ttl: 0, public: true })).toThrow(/positive/)
  })
  it('returns a three-parameter function (Express would take four for an error handler)', () => {
    expect(cacheResponse(cache, { ttl: '5m', public: true }).length).toBe(3)
  })
  it('resolves defaults once', () => {
    const p = resolvePolicy({ ttl: '5m', scope: () => 'a', vary: ['Accept-Language'] })
    expect(p.ttl).toBe(300_000)
    expect(p.varyHeader).toBe('Accept-Encoding, Authorization, Accept-Language')
    expect(p.cacheControl).toBe('private, no-cache')
    expect(p.maxBodyBytes).toBe(1024 * 1024)
    expect(resolvePolicy({ ttl: 1000, public: true }).cacheControl).toBe('no-cache')
  })
})
