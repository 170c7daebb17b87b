// Smoke test under Express 4 (the `express4` alias of express@^4): the peer range includes ^4, where
// `req.query` is an own property set by Express' query middleware rather than Express 5's getter.
import { createRequire } from 'node:module'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import type { Request, Response } from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

// Loaded with require: the alias has no type declarations of its own; Express 5's types fit the calls used.
const express4 = createRequire(import.meta.url)('express4') as typeof import('express')
const { version } = createRequire(import.meta.url)('express4/package.json') as { version: string }

describe('cacheResponse under Express 4', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  let calls = 0
  let version4 = 0

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-express4' })
    const app = express4()
    app.get(
      '/items',
      cacheResponse(cache, { ttl: '5m', public: true, tags: ['items'], query: ['page', 'sort'] }),
      (req: Request, res: Response) => {
        calls++
        res.json({
          query: req.query,
          queryIsOwn: Object.hasOwn(req, 'query'),
          version: version4,
          calls,
        })
      },
    )
    app.post('/items', invalidates(cache, ['items']), (req: Request, res: Response) => {
      const status = Number(req.headers['x-status'] ?? 201)
      if (status < 300) version4++
      res.status(status).json({ version: version4 })
    })
    served = await serve(app)
    http = served.http
  })
  beforeEach(async () => {
    await cache.invalidatePattern('res:*')
    calls = 0
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('runs on Express 4', () => {
    expect(version).toMatch(/^4\./)
  })

  it('answers MISS, then HIT with the same body and ETag, without a second handler call', async () => {
    const miss = await http.get('/items?page=1')
    const hit = await http.get('/items?page=1')
    expect([miss.status, miss.header('x-cache'), hit.header('x-cache')]).toEqual([200, 'MISS', 'HIT'])
    expect(hit.body.equals(miss.body)).toBe(true)
    // Express 4's own ETag is weak: the stored one is a strong hash of the body.
    expect(miss.header('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(hit.header('etag')).toBe(miss.header('etag'))
    expect(JSON.parse(String(hit.body))).toMatchObject({ query: { page: '1' }, queryIsOwn: true, calls: 1 })
    expect(calls).toBe(1)
    const revalidated = await http.get('/items?page=1', { 'if-none-match': String(miss.header('etag')) })
    expect([revalidated.status, revalidated.body.byteLength]).toEqual([304, 0])
  })

  it('drops a parameter outside the allow-list from req.query (an own property in Express 4)', async () => {
    const r = await http.get('/items?page=2&utm_source=mail')
    expect(r.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(r.body)).query).toEqual({ page: '2' })
    // The unlisted parameter is not keyed either: the same entry answers without it.
    const plain = await http.get('/items?page=2')
    expect(plain.header('x-cache')).toBe('HIT')
    expect(plain.body.equals(r.body)).toBe(true)
    expect(calls).toBe(1)
  })

  it('shares one entry between equivalent queries, never between different ones', async () => {
    const first = await http.get('/items?page=3&sort=name')
    const swapped = await http.get('/items?sort=name&page=3')
    const encoded = await http.get('/items?%70age=3&sort=%6Eame')
    expect([first.header('x-cache'), swapped.header('x-cache'), encoded.header('x-cache')]).toEqual([
      'MISS',
      'HIT',
      'HIT',
    ])
    const other = await http.get('/items?page=3&sort=price')
    const repeated = await http.get('/items?page=3&page=3&sort=name')
    expect([other.header('x-cache'), repeated.header('x-cache')]).toEqual(['MISS', 'MISS'])
    expect(JSON.parse(String(repeated.body)).query).toEqual({ page: ['3', '3'], sort: 'name' })
    expect(calls).toBe(3)
  })

  it('invalidates on a 2xx write before its response is sent; a failed write invalidates nothing', async () => {
    await http.get('/items?page=4')
    expect((await http.get('/items?page=4')).header('x-cache')).toBe('HIT')
    const failed = await http.send('POST', '/items', { 'x-status': '422' })
    expect(failed.status).toBe(422)
    expect((await http.get('/items?page=4')).header('x-cache')).toBe('HIT')
    const w = await http.send('POST', '/items')
    expect(w.status).toBe(201)
    const after = await http.get('/items?page=4')
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body)).version).toBe(JSON.parse(String(w.body)).version)
  })
})
