import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { acceptsGzip, CacheResponseError, cacheResponse, normaliseQuery } from '@hotpath/cache-kit/express'
import { describe, expect, it } from 'vitest'
import { callForm } from '../../src/express/call-form.js'
import { gzipEtagOf, isStrongEtag, matchesIfNoneMatch, strongEtag } from '../../src/express/etag.js'
import { InflatedBodies } from '../../src/express/inflated-bodies.js'
import { resolvePolicy } from '../../src/express/options.js'
import { decodeRecord, encodeRecord, type ResponseRecord } from '../../src/express/record.js'
import { notStorable, requestBypasses, requestRevalidates } from '../../src/express/storable.js'

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

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['x-gzip', true],
    ['*', true],
    ['gzip;q=0', false],
    ['br', false],
    ['identity', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
  ] as const)('%s → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected)
  })
  it('is false without the header', () => expect(acceptsGzip(undefined)).toBe(false))
})

describe('ETag', () => {
  it('is strong, stable and depends on every byte', () => {
    const a = strongEtag(Buffer.from('hello'))
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(strongEtag(Buffer.from('hello'))).toBe(a)
    expect(strongEtag(Buffer.from('hellp'))).not.toBe(a)
    expect(isStrongEtag(a)).toBe(true)
    expect(isStrongEtag('W/"x"')).toBe(false)
  })
  it('derives a distinct strong ETag for the gzip representation', () => {
    expect(gzipEtagOf('"abc"')).toBe('"abc-gzip"')
    expect(isStrongEtag(gzipEtagOf('"abc"'))).toBe(true)
    expect(matchesIfNoneMatch('"abc"', gzipEtagOf('"abc"'))).toBe(false)
  })
  it('matches If-None-Match with the weak comparison', () => {
    expect(matchesIfNoneMatch('"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('W/"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('"b", W/"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('*', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('"b"', '"a"')).toBe(false)
    expect(matchesIfNoneMatch(undefined, '"a"')).toBe(false)
    expect(matchesIfNoneMatch('', '"a"')).toBe(false)
  })
})

describe('response record', () => {
  const record: ResponseRecord = {
    status: 203,
    etag: '"abc"',
    gzipEtag: '"abc-gzip"',
    gzip: false,
    identityLength: 4,
    headers: [
      'content-type',
      'application/json',
      'link',
      '<https://x/é>; rel="next"',
      'link',
      '<b>; rel="prev"',
    ],
    body: Buffer.from('body'),
  }
  it('round-trips status, ETag, headers (repeated and UTF-8) and bytes', () => {
    const back = decodeRecord(encodeRecord(record))
    expect(back).toEqual({ ...record, body: Buffer.from('body') })
  })
  it('reads anything else as no record', () => {
    const bytes = encodeRecord(record)
    expect(decodeRecord(bytes.subarray(0, bytes.byteLength - 1))).toBeUndefined()
    expect(decodeRecord(bytes.subarray(0, 12))).toBeUndefined()
    expect(decodeRecord(Buffer.from('{"json":true}'))).toBeUndefined()
    expect(decodeRecord({ status: 200 })).toBeUndefined()
  })
})

describe('never-store rules', () => {
  const policy = resolvePolicy({ ttl: '5m', public: true, maxBodyBytes: 100, statuses: [404] })
  const res = (headers: Record<string, string | string[]>) => ({ getHeader: (n: string) => headers[n] })
  it.each([
    [200, {}, 10, undefined],
    [204, {}, 0, undefined],
    [404, {}, 10, undefined],
    [206, {}, 10, 'status'],
    [500, {}, 10, 'status'],
    [301, {}, 10, 'status'],
    [200, { 'set-cookie': ['a=1'] }, 10, 'set-cookie'],
    [200, { 'cache-control': 'public, private' }, 10, 'cache-control'],
    [200, { 'cache-control': 'no-store' }, 10, 'cache-control'],
    [200, { 'cache-control': 'max-age=60' }, 10, undefined],
    [200, { vary: '*' }, 10, 'vary'],
    [200, { vary: 'Accept-Encoding' }, 10, undefined],
    [200, { vary: 'Cookie' }, 10, 'vary'],
    [200, { 'content-encoding': 'gzip' }, 10, 'content-encoding'],
    [200, {}, 101, 'too-large'],
    [200, { 'content-type': 'text/event-stream' }, 10, 'streaming'],
  ] as const)('status %i with %o and %i bytes → %s', (status, headers, bytes, reason) => {
    expect(notStorable(policy, res(headers as Record<string, string>), status, bytes, undefined)).toBe(reason)
  })
  it('accepts a Vary a middleware set before the handler', () => {
    expect(notStorable(policy, res({ vary: 'Origin' }), 200, 1, 'Origin')).toBeUndefined()
  })
  it('bypasses fat GETs, ranges and request no-store; revalidates on no-cache', () => {
    expect(requestBypasses({ 'content-length': '3' })).toBe(true)
    expect(requestBypasses({ 'transfer-encoding': 'chunked' })).toBe(true)
    expect(requestBypasses({ 'content-length': '0' })).toBe(false)
    expect(requestBypasses({ range: 'bytes=0-1' })).toBe(true)
    expect(requestBypasses({ 'cache-control': 'no-store' })).toBe(true)
    expect(requestBypasses({})).toBe(false)
    expect(requestRevalidates({ 'cache-control': 'no-cache' })).toBe(true)
    expect(requestRevalidates({ 'cache-control': 'max-age=0' })).toBe(false)
    expect(requestRevalidates({ pragma: 'no-cache' })).toBe(true)
    expect(requestRevalidates({})).toBe(false)
  })
})

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

describe('inflated bodies', () => {
  it('answers only for the same gzip bytes, whatever the ETag says', () => {
    const b = new InflatedBodies()
    b.set('"v1"', Buffer.from('gz-of-acme'), Buffer.from('acme body'))
    expect(String(b.get('"v1"', Buffer.from('gz-of-acme')))).toBe('acme body')
    expect(b.get('"v1"', Buffer.from('gz-of-globex'))).toBeUndefined()
    expect(b.get('"v2"', Buffer.from('gz-of-acme'))).toBeUndefined()
  })
  it('drops the oldest entries past its bounds', () => {
    const b = new InflatedBodies(2, 1000)
    for (const k of ['a', 'b', 'c']) b.set(k, Buffer.from(k), Buffer.from(k.repeat(10)))
    expect(b.get('a', Buffer.from('a'))).toBeUndefined()
    expect(String(b.get('c', Buffer.from('c')))).toBe('cccccccccc')
    b.set('big', Buffer.alloc(10), Buffer.alloc(300)) // over a quarter of 1000 bytes: not kept
    expect(b.get('big', Buffer.alloc(10))).toBeUndefined()
  })
})
