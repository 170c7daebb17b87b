import { describe, expect, it } from 'vitest'
import { normaliseQuery } from '../../src/express/query-key.js'

describe('normaliseQuery', () => {
  const key = (q: unknown, allow?: string[]) => normaliseQuery(q, allow ? new Set(allow) : undefined).key

  it('sorts names and percent-encodes names and values', () => {
    expect(key({ page: '2', category: 'a b&c=d' })).toBe('category=a%20b%26c%3Dd&page=2')
    expect(key({ category: 'a b&c=d', page: '2' })).toBe(key({ page: '2', category: 'a b&c=d' }))
  })

  it('keeps repeated values in order, apart from a single value', () => {
    expect(key({ page: ['1', '2'] })).toBe('page[0]=1&page[1]=2')
    expect(key({ page: ['2', '1'] })).not.toBe(key({ page: ['1', '2'] }))
    expect(key({ page: ['1'] })).not.toBe(key({ page: '1' }))
  })

  it('cannot be forged by separators inside names or values', () => {
    expect(key({ 'a=1&b': '2' })).not.toBe(key({ a: '1', b: '2' }))
    expect(key({ a: '1&b=2' })).not.toBe(key({ a: '1', b: '2' }))
    expect(key({ 'a[0]': '1' })).not.toBe(key({ a: ['1'] }))
    expect(key({ a: { b: '1' } })).not.toBe(key({ 'a{b}': '1' }))
    expect(key({ a: '' })).not.toBe(key({}))
    expect(key({ a: {} })).not.toBe(key({ a: [] }))
  })

  it('tells strings from other values a custom parser may produce', () => {
    expect(key({ a: 5 })).not.toBe(key({ a: '5' }))
    expect(key({ a: null })).not.toBe(key({ a: 'null' }))
  })

  it('keys only the allow-list and reports the rest in request order', () => {
    const n = normaliseQuery({ utm: 'x', page: '1', debug: '1' }, new Set(['page']))
    expect(n.key).toBe('page=1')
    expect(n.dropped).toEqual(['utm', 'debug'])
    expect(normaliseQuery({ page: '1' }, new Set(['page'])).dropped).toBeUndefined()
  })

  it('treats a missing or empty query as empty', () => {
    expect(key(undefined)).toBe('')
    expect(key({})).toBe('')
  })
})
