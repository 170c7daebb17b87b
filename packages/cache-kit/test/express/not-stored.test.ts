// Responses to a miss that are sent but not stored: each reports its reason through
// `onNotStored`, and one that the record format cannot hold (over 255 stored headers, a header
// value over 64 KiB) is refused instead of being stored corrupt or throwing inside the store.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { type CacheResponseOptions, cacheResponse, type NotStorableReason } from '@hotpath/cache-kit/express'
import express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

describe('responses that are not stored', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  let reasons: { reason: NotStorableReason; path: string }[] = []
  const calls: Record<string, number> = {}
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1
    return calls[name]
  }
  const many = Array.from({ length: 300 }, (_, i) => `v${i}`)
  const long = 'x'.repeat(70 * 1024)

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-not-stored' })
    const app = express()
    const pub = (extra: Partial<CacheResponseOptions> = {}) =>
      cacheResponse(cache, {
        ttl: '5m',
        public: true,
        onNotStored: (reason, req) => reasons.push({ reason, path: req.path }),
        ...extra,
      })
    app.get('/many-headers', pub({ headers: ['x-many'] }), (_req, res) => {
      res.set('X-Many', many).json({ n: count('many') })
    })
    app.get('/long-header', pub({ headers: ['x-long'] }), (_req, res) => {
      res.set('X-Long', long).json({ n: count('long') })
    })
    app.get('/cookie', pub(), (_req, res) => {
      res.cookie('sid', 'abc').json({ n: count('cookie') })
    })
    app.get('/stream', pub(), (_req, res) => {
      res.type('text/plain')
      res.write(`part ${count('stream')};`)
      res.end('done')
    })
    app.get('/partial', pub({ statuses: [206] }), (_req, res) => {
      res
        .status(206)
        .set('Content-Range', 'bytes 0-1/10')
        .send(`p${count('partial')}`)
    })
    const rows = (ids: (body: unknown) => number[]) => pub({ rows: { resource: 'items', ids } })
    app.get(
      '/rows/ids-throw',
      rows(() => {
        throw new Error('no ids')
      }),
      (_req, res) => {
        res.json({ n: count('ids-throw') })
      },
    )
    app.get(
      '/rows/not-json',
      rows(() => [1]),
      (_req, res) => {
        res.type('text/plain').send(`plain ${count('not-json')}`)
      },
    )
    app.get(
      '/rows/ok',
      rows((body) => [(body as { id: number }).id]),
      (_req, res) => {
        res.json({ id: 7, n: count('rows-ok') })
      },
    )
    app.get('/fine', pub(), (_req, res) => {
      res.json({ n: count('fine') })
    })
    served = await serve(app)
    http = served.http
  })
  beforeEach(() => {
    reasons = []
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('sends a response with more stored headers than a record holds as written, and never stores it', async () => {
    for (const n of [1, 2]) {
      const r = await http.get('/many-headers', { 'accept-encoding': 'gzip' })
      expect(r.status).toBe(200)
      expect(r.header('x-cache')).toBe('MISS')
      expect(r.headers['x-many']).toBe(many.join(', '))
      // The handler's body, not header bytes spilling into it.
      expect(JSON.parse(r.body.toString())).toEqual({ n })
    }
    expect(reasons).toEqual([
      { reason: 'record-limits', path: '/many-headers' },
      { reason: 'record-limits', path: '/many-headers' },
    ])
  })

  it('sends a response with a stored header value over 64 KiB and never stores it', async () => {
    for (const n of [1, 2]) {
      const r = await http.get('/long-header', { 'accept-encoding': 'gzip' })
      expect(r.header('x-cache')).toBe('MISS')
      expect(r.header('x-long')).toBe(long)
      expect(JSON.parse(r.body.toString())).toEqual({ n })
    }
    expect(reasons.map((r) => r.reason)).toEqual(['record-limits', 'record-limits'])
  })

  it('reports the never-store rule that kept a response out', async () => {
    await http.get('/cookie')
    await http.get('/stream')
    await http.get('/partial')
    await http.send('HEAD', '/fine')
    expect(reasons).toEqual([
      { reason: 'set-cookie', path: '/cookie' },
      { reason: 'streaming', path: '/stream' },
      { reason: 'partial', path: '/partial' },
      { reason: 'head', path: '/fine' },
    ])
    // None of them was stored: each runs its handler again.
    expect((await http.get('/partial')).body.toString()).toBe('p2')
    expect((await http.get('/stream')).body.toString()).toBe('part 2;done')
  })

  it('with rows: a body whose ids cannot be read is sent, not stored (rows-unknown)', async () => {
    for (const path of ['/rows/ids-throw', '/rows/not-json']) {
      const sets = cache.stats().sets
      const r = await http.get(path)
      expect([path, r.status, r.header('x-cache')]).toEqual([path, 200, 'MISS'])
      expect(cache.stats().sets).toBe(sets)
    }
    expect(reasons).toEqual([
      { reason: 'rows-unknown', path: '/rows/ids-throw' },
      { reason: 'rows-unknown', path: '/rows/not-json' },
    ])
    expect((await http.get('/rows/ok')).header('x-cache')).toBe('MISS')
    expect((await http.get('/rows/ok')).header('x-cache')).toBe('HIT')
  })

  it('reports nothing for a stored response, which is then a hit', async () => {
    const first = await http.get('/fine', { 'accept-encoding': 'gzip' })
    expect(first.header('x-cache')).toBe('MISS')
    const second = await http.get('/fine', { 'accept-encoding': 'gzip' })
    expect(second.header('x-cache')).toBe('HIT')
    // Below the cache's compressThreshold the body is stored and sent as it is.
    expect(second.header('content-encoding')).toBeUndefined()
    expect(second.body.toString()).toBe(first.body.toString())
    expect(calls.fine).toBe(2) // the HEAD of the test before, then this MISS
    expect(reasons).toEqual([])
  })
})
