// The key's path and query are memoised per raw URL (query-memo.ts). These tests pin the cases
// where the URL alone does not decide `req.query`, so the memo must not answer.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import express, { type Request, type Response } from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

const echo = (req: Request, res: Response) => {
  res.json({ query: req.query, base: req.baseUrl })
}

describe('cacheResponse keys by the parsed query, not by a memo of the URL', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  const app = express()

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-memo' })
    const policy = cacheResponse(cache, { ttl: '1m', public: true })
    // A validator that replaces req.query (an own property): the URL no longer decides it.
    const replaced = express.Router()
    replaced.use((req, _res, next) => {
      Object.defineProperty(req, 'query', {
        value: { page: String(req.headers['x-page']) },
        configurable: true,
        enumerable: true,
        writable: true,
      })
      next()
    })
    replaced.get('/', policy, echo)
    app.use('/replaced', replaced)
    // The same inner route mounted twice: the mount point is part of the key.
    const inner = express.Router()
    inner.get('/items', policy, echo)
    app.use('/a', inner)
    app.use('/b', inner)
    app.get('/plain', policy, echo)
    served = await serve(app)
    http = served.http
  })
  afterEach(async () => {
    app.set('query parser', 'simple')
    await cache.invalidatePattern('*')
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('follows a req.query a middleware replaced, whatever the URL', async () => {
    const one = await http.send('GET', '/replaced/?x=1', { 'x-page': '1' })
    const two = await http.send('GET', '/replaced/?x=1', { 'x-page': '2' })
    expect(one.header('x-cache')).toBe('MISS')
    expect(two.header('x-cache')).toBe('MISS')
    expect(JSON.parse(two.body.toString()).query).toEqual({ page: '2' })
    const again = await http.send('GET', '/replaced/?x=1', { 'x-page': '1' })
    expect(again.header('x-cache')).toBe('HIT')
    expect(JSON.parse(again.body.toString()).query).toEqual({ page: '1' })
  })

  it('keys a URL anew when the app changes its query parser', async () => {
    const simple = await http.send('GET', '/plain?a[b]=1')
    expect(JSON.parse(simple.body.toString()).query).toEqual({ 'a[b]': '1' })
    expect((await http.send('GET', '/plain?a[b]=1')).header('x-cache')).toBe('HIT')
    app.set('query parser', 'extended')
    const extended = await http.send('GET', '/plain?a[b]=1')
    expect(extended.header('x-cache')).toBe('MISS')
    expect(JSON.parse(extended.body.toString()).query).toEqual({ a: { b: '1' } })
  })

  it('keeps the same URL under two mount points apart', async () => {
    await http.send('GET', '/a/items?page=1')
    const b = await http.send('GET', '/b/items?page=1')
    expect(b.header('x-cache')).toBe('MISS')
    expect(JSON.parse(b.body.toString()).base).toBe('/b')
    expect((await http.send('GET', '/a/items?page=1')).header('x-cache')).toBe('HIT')
  })

  it('answers correctly past the memo capacity (1,024 URLs)', async () => {
    for (let i = 0; i < 1100; i++) {
      const r = await http.send('GET', `/plain?page=${i}`)
      expect(JSON.parse(r.body.toString()).query).toEqual({ page: String(i) })
    }
    const first = await http.send('GET', '/plain?page=0')
    expect(first.header('x-cache')).toBe('HIT')
    expect(JSON.parse(first.body.toString()).query).toEqual({ page: '0' })
  })
})
