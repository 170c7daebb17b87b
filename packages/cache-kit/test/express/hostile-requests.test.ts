// What a client can and cannot steer: without `trust proxy`, made-up X-Forwarded-Host/Proto
// values neither split the cache nor reach a handler's links; request Cache-Control cannot force
// the origin, and a conditional request that carries `no-cache` (as `fetch` sends it) gets the
// cache's 304.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

describe('requests a hostile client shapes', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  let calls = 0

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-hostile' })
    const app = express() // no `trust proxy`: X-Forwarded-* come from the client itself
    app.get('/links', cacheResponse(cache, { ttl: '5m', public: true }), (req, res) => {
      calls++
      res.json({ next: `${req.protocol}://${req.host}/links?page=2` })
    })
    served = await serve(app)
    http = served.http
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('keys none of a client’s own X-Forwarded-Host / X-Forwarded-Proto values', async () => {
    const first = await http.get('/links')
    expect(first.header('x-cache')).toBe('MISS')
    for (let i = 0; i < 20; i++) {
      const r = await http.get('/links', {
        'x-forwarded-host': `h${i}.evil.example`,
        'x-forwarded-proto': `p${i}`,
      })
      expect(r.header('x-cache')).toBe('HIT')
      expect(r.body.equals(first.body)).toBe(true)
    }
    expect(JSON.parse(String(first.body)).next).toBe(`http://127.0.0.1:${http.port}/links?page=2`)
    expect(calls).toBe(1)
  })

  it('answers a conditional request with Cache-Control: no-cache from the cache (304)', async () => {
    const stored = await http.get('/links')
    const etag = stored.header('etag') as string
    const r = await http.get('/links', {
      'if-none-match': etag,
      'cache-control': 'no-cache',
      pragma: 'no-cache',
    })
    expect(r.status).toBe(304)
    expect(r.header('x-cache')).toBe('HIT')
    expect(calls).toBe(1)
  })
})
