import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import { describe, expect, it } from 'vitest'
import { callForm } from '../../src/express/call-form.js'

describe('call form detection', () => {
  const fn = () => {}
  it('tells the three forms apart', () => {
    expect(callForm({ kind: 'method', name: 'list' }, undefined)).toBe('standard')
    expect(callForm('list', { value: fn, writable: true })).toBe('legacy')
    expect(callForm({ writeHead: fn }, fn)).toBe('middleware')
  })
  it('refuses to decorate anything but a method', () => {
    const cache = new CacheManager({ store: memoryStore() })
    const dec = cacheResponse(cache, { ttl: '5m', public: true }) as unknown as (...a: unknown[]) => unknown
    expect(() => dec(undefined, { kind: 'field', name: 'x' })).toThrow(/methods only/)
    expect(() => dec({}, 'x', { get: fn })).toThrow(/methods only/)
  })
})
