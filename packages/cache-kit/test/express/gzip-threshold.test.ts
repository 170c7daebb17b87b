// A stored response body is gzipped only from the cache's `compressThreshold` up (default 1 KiB):
// below it gzip costs a miss more CPU than the bytes it saves, and a hit for a client without gzip
// then needs no inflating.
import { gunzipSync } from 'node:zlib'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

const GZIP = { 'accept-encoding': 'gzip' }
/** About 300 bytes of JSON, as a detail endpoint sends. */
const small = {
  id: 42,
  name: 'Ergonomic Bronze Backpack',
  sku: 'SKU-0001900',
  price: '739.33',
  tags: ['a', 'b'],
}
/** About 15 KB of JSON, as a list page sends. */
const big = { results: Array.from({ length: 120 }, (_, i) => ({ ...small, id: i, note: `row ${i}` })) }

function appFor(cache: CacheManager) {
  const app = express()
  app.set('etag', false)
  const policy = cacheResponse(cache, { ttl: '5m', public: true })
  app.get('/small', policy, (_req, res) => {
    res.json(small)
  })
  app.get('/big', policy, (_req, res) => {
    res.json(big)
  })
  return app
}

describe.each([
  { threshold: undefined, gzipped: { small: false, big: true } },
  { threshold: 0, gzipped: { small: true, big: true } },
  { threshold: 100_000, gzipped: { small: false, big: false } },
  { threshold: false, gzipped: { small: false, big: false } },
] as const)('cacheResponse with compressThreshold $threshold', ({ threshold, gzipped }) => {
  let served: Served
  let http: HttpClient
  const cache = new CacheManager({
    store: memoryStore(),
    prefix: 'gzip-threshold',
    ...(threshold === undefined ? {} : { compressThreshold: threshold }),
  })
  beforeAll(async () => {
    served = await serve(appFor(cache))
    http = served.http
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it.each(['small', 'big'] as const)('stores the %s body gzipped only at or above it', async (name) => {
    const expected = Buffer.from(JSON.stringify(name === 'small' ? small : big))
    const miss = await http.get(`/${name}`, GZIP)
    const hit = await http.get(`/${name}`, GZIP)
    const plain = await http.get(`/${name}`)
    expect([miss.header('x-cache'), hit.header('x-cache'), plain.header('x-cache')]).toEqual([
      'MISS',
      'HIT',
      'HIT',
    ])
    for (const r of [miss, hit]) {
      expect(r.header('content-encoding')).toBe(gzipped[name] ? 'gzip' : undefined)
      expect(gzipped[name] ? gunzipSync(r.body) : r.body).toEqual(expected)
      expect(r.header('content-length')).toBe(String(r.body.byteLength))
      expect(r.header('vary')).toBe('Accept-Encoding')
    }
    // One representation stored: the hit sends the miss's very bytes and ETag.
    expect(hit.body).toEqual(miss.body)
    expect(hit.header('etag')).toBe(miss.header('etag'))
    // A client without gzip gets the identity bytes, with the identity ETag.
    expect(plain.header('content-encoding')).toBeUndefined()
    expect(plain.body).toEqual(expected)
    expect(plain.header('etag')).toBe(
      gzipped[name] ? miss.header('etag')?.replace(/-gzip"$/, '"') : miss.header('etag'),
    )
  })
})

it('exposes the resolved threshold on the manager', () => {
  expect(new CacheManager().compressThreshold).toBe(1024)
  expect(new CacheManager({ compressThreshold: 10 }).compressThreshold).toBe(10)
  expect(new CacheManager({ compressThreshold: false }).compressThreshold).toBe(Number.POSITIVE_INFINITY)
})
