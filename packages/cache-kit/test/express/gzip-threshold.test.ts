// A stored response body is gzipped only from the cache's `compressThreshold` up (default 1 KiB):
// below it gzip costs a miss more CPU than the bytes it saves, and a hit for a client without gzip
// then needs no inflating.
import { gunzipSync } from 'node:zlib'
import { CacheManager, memoryStore, zlibCodec } from '@hotpath/cache-kit'
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

describe('a response refused because a write ran during its handler', () => {
  let served: Served
  let gzips = 0
  let calls = 0
  let gate: Promise<void> | undefined
  let entered: (() => void) | undefined
  /** Called once a request has passed through the cache middleware's synchronous part. */
  let arrived: (() => void) | undefined
  const reasons: string[] = []
  const cache = new CacheManager({
    store: memoryStore(),
    prefix: 'gzip-refused',
    codec: {
      ...zlibCodec,
      gzip: (data) => {
        gzips++
        return zlibCodec.gzip(data)
      },
    },
  })
  beforeAll(async () => {
    const app = express()
    app.set('etag', false)
    app.use((_req, _res, next) => {
      next() // a follower has joined the leader's flight when this returns
      arrived?.()
    })
    app.get(
      '/big',
      cacheResponse(cache, { ttl: '5m', public: true, onNotStored: (reason) => reasons.push(reason) }),
      async (_req, res) => {
        calls++
        entered?.()
        await gate
        res.json(big)
      },
    )
    served = await serve(app)
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('is not gzipped: its client and its followers get the handler’s bytes', async () => {
    let open!: () => void
    gate = new Promise<void>((r) => {
      open = r
    })
    const inHandler = new Promise<void>((r) => {
      entered = r
    })
    const leader = served.http.get('/big', GZIP)
    await inHandler
    const joined = new Promise<void>((r) => {
      arrived = r
    })
    const follower = served.http.get('/big', GZIP)
    // The follower waits on the leader's flight; then a write lands while the handler runs.
    await joined
    await cache.invalidateTags(['anything'])
    open()
    const expected = Buffer.from(JSON.stringify(big))
    for (const r of [await leader, await follower]) {
      expect(r.status).toBe(200)
      expect(r.header('content-encoding')).toBeUndefined()
      expect(r.body).toEqual(expected)
      expect(r.header('etag')).not.toMatch(/-gzip"$/)
    }
    expect(calls).toBe(1)
    expect(gzips).toBe(0)
    expect(reasons).toEqual(['invalidated'])
    // Not stored: the next request runs the handler, and this response is stored gzipped.
    gate = undefined
    const next = await served.http.get('/big', GZIP)
    expect([next.header('x-cache'), next.header('content-encoding')]).toEqual(['MISS', 'gzip'])
    expect(gzips).toBe(1)
    expect((await served.http.get('/big', GZIP)).header('x-cache')).toBe('HIT')
    expect(calls).toBe(2)
  })
})
