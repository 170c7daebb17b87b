// Options and behaviours of `cacheResponse` / `invalidates` that the shared suite does not pin:
// stored custom headers, Cache-Control and Age per option, pattern invalidation, the forwarded
// protocol in the key, and a hit that neither re-hashes the ETag nor goes through `res.send`.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { type CacheResponseOptions, cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import express, { type Request, type Response } from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { tenantOf } from './support/app.js'
import { type HttpClient, type Served, serve } from './support/http-client.js'

const A = { authorization: 'Bearer acme' }

describe('cacheResponse policy options', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  const calls: Record<string, number> = {}
  /** `res.send` calls per request, counted by a middleware that runs before `cacheResponse`. */
  let sends = 0
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1
    return calls[name]
  }

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-options' })
    const app = express()
    // The tests' client is the trusted proxy: its X-Forwarded-Proto is what Express derives.
    app.set('trust proxy', 'loopback')
    app.use((_req, res, next) => {
      const send = res.send
      res.send = function countedSend(this: Response, ...args: Parameters<Response['send']>) {
        sends++
        return send.apply(this, args)
      }
      next()
    })
    const pub = (extra: Partial<CacheResponseOptions> = {}) =>
      cacheResponse(cache, { ttl: '5m', public: true, ...extra })

    app.get('/headers', pub({ headers: ['x-total-count'] }), (_req, res) => {
      const n = count('headers')
      res.set('X-Total-Count', '42').set('X-Request-Id', `req-${n}`).json({ items: [] })
    })

    const ok = (name: string) => (_req: Request, res: Response) => {
      count(name)
      res.json({ ok: name })
    }
    app.get('/cc/scoped', cacheResponse(cache, { ttl: '5m', scope: tenantOf }), ok('cc-scoped'))
    app.get('/cc/public', pub(), ok('cc-public'))
    app.get('/cc/custom', pub({ cacheControl: 'public, max-age=60' }), ok('cc-custom'))
    app.get('/cc/none', pub({ cacheControl: false }), ok('cc-none'))
    app.get('/cc/own', pub({ cacheControl: 'public, max-age=60' }), (_req, res) => {
      count('cc-own')
      res.set('Cache-Control', 'max-age=5, must-revalidate').json({ ok: 'own' })
    })

    app.get('/age/default', pub(), ok('age-default'))
    app.get('/age/off', pub({ age: false }), ok('age-off'))

    // /inv/a and /inv/b carry a tag; /inv/c and /inv/d none (only a pattern reaches them).
    const tagged = pub({ tags: ['inv'] })
    const untagged = pub()
    app.get('/inv/a', tagged, ok('inv-a'))
    app.get('/inv/b', tagged, ok('inv-b'))
    app.get('/inv/c', untagged, ok('inv-c'))
    app.get('/inv/d', untagged, ok('inv-d'))
    app.post('/inv/patterns', invalidates(cache, { patterns: ['res:GET:*/inv/a?*'] }), (req, res) => {
      res.status(Number(req.query.status ?? 204)).end()
    })
    app.post(
      '/inv/both',
      invalidates(cache, { tags: ['inv'], patterns: ['res:GET:*/inv/c?*'] }),
      (req, res) => {
        res.status(Number(req.query.status ?? 204)).end()
      },
    )

    app.get('/proto', pub(), (req, res) => {
      count('proto')
      res.json({ next: `${req.protocol}://example.test/proto?page=2` })
    })

    app.get('/etag/custom', pub(), (_req, res) => {
      count('etag-custom')
      res.set('ETag', '"custom-1"').json({ v: 1 })
    })
    app.get('/etag/hashed', pub(), ok('etag-hashed'))
    app.get('/modified', pub(), (_req, res) => {
      count('modified')
      res.set('Last-Modified', 'Wed, 02 Dec 2026 10:00:00 GMT').json({ v: 1 })
    })

    served = await serve(app)
    http = served.http
  })
  beforeEach(async () => {
    await cache.invalidatePattern('res:*')
    for (const k of Object.keys(calls)) delete calls[k]
    sends = 0
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('`headers`: stores a listed header with the handler value; an unlisted one is not replayed', async () => {
    const miss = await http.get('/headers')
    const hit = await http.get('/headers')
    expect([miss.header('x-cache'), hit.header('x-cache')]).toEqual(['MISS', 'HIT'])
    expect(miss.header('x-total-count')).toBe('42')
    expect(hit.header('x-total-count')).toBe('42')
    // The handler's own response carries its per-request header; the stored one does not.
    expect(miss.header('x-request-id')).toBe('req-1')
    expect(hit.header('x-request-id')).toBeUndefined()
    expect(calls.headers).toBe(1)
  })

  it('`cacheControl`: private, no-cache when scoped; no-cache when public; on miss and hit', async () => {
    for (const [path, headers, expected] of [
      ['/cc/scoped', A, 'private, no-cache'],
      ['/cc/public', {}, 'no-cache'],
    ] as const) {
      const miss = await http.get(path, headers)
      const hit = await http.get(path, headers)
      expect([miss.header('x-cache'), hit.header('x-cache')]).toEqual(['MISS', 'HIT'])
      expect(miss.header('cache-control')).toBe(expected)
      expect(hit.header('cache-control')).toBe(expected)
    }
  })

  it('`cacheControl`: a custom string is sent, `false` sends none, the handler’s own wins', async () => {
    const expectations: [string, string | undefined][] = [
      ['/cc/custom', 'public, max-age=60'],
      ['/cc/none', undefined],
      ['/cc/own', 'max-age=5, must-revalidate'],
    ]
    for (const [path, expected] of expectations) {
      const miss = await http.get(path)
      const hit = await http.get(path)
      expect([path, miss.header('x-cache'), hit.header('x-cache')]).toEqual([path, 'MISS', 'HIT'])
      expect([path, miss.header('cache-control')]).toEqual([path, expected])
      expect([path, hit.header('cache-control')]).toEqual([path, expected])
    }
  })

  it('`age`: sent on a hit by default (whole seconds ≥ 0); `age: false` sends none', async () => {
    await http.get('/age/default')
    const hit = await http.get('/age/default')
    expect(hit.header('x-cache')).toBe('HIT')
    expect(hit.header('age')).toMatch(/^\d+$/)
    expect(Number(hit.header('age'))).toBeGreaterThanOrEqual(0)

    const offMiss = await http.get('/age/off')
    const offHit = await http.get('/age/off')
    expect([offMiss.header('x-cache'), offHit.header('x-cache')]).toEqual(['MISS', 'HIT'])
    expect(offHit.header('age')).toBeUndefined()
    expect(offMiss.header('age')).toBeUndefined()
  })

  const paths = ['/inv/a', '/inv/b', '/inv/c', '/inv/d']
  /** Stores the four entries and checks each is a hit. */
  const warm = async () => {
    for (const p of paths) await http.get(p)
    for (const p of paths) expect([p, (await http.get(p)).header('x-cache')]).toEqual([p, 'HIT'])
  }
  const states = async () => {
    const out: (string | undefined)[] = []
    for (const p of paths) out.push((await http.get(p)).header('x-cache'))
    return out
  }

  it('`invalidates` with `{ patterns }`: a 2xx write drops the matching entries, the others stay', async () => {
    await warm()
    const w = await http.send('POST', '/inv/patterns')
    expect(w.status).toBe(204)
    // /inv/b shares /inv/a's tag, but the write named a pattern, not the tag.
    expect(await states()).toEqual(['MISS', 'HIT', 'HIT', 'HIT'])
    expect(calls['inv-a']).toBe(2)
    // A failed write invalidates nothing, patterns included.
    await warm()
    expect((await http.send('POST', '/inv/patterns?status=409')).status).toBe(409)
    expect(await states()).toEqual(['HIT', 'HIT', 'HIT', 'HIT'])
  })

  it('`invalidates` with `{ tags, patterns }`: a 2xx write applies both, the others stay', async () => {
    await warm()
    expect((await http.send('POST', '/inv/both')).status).toBe(204)
    // /inv/a and /inv/b by their tag, /inv/c (untagged) by the pattern, /inv/d by neither.
    expect(await states()).toEqual(['MISS', 'MISS', 'MISS', 'HIT'])
    await warm()
    expect((await http.send('POST', '/inv/both?status=500')).status).toBe(500)
    expect(await states()).toEqual(['HIT', 'HIT', 'HIT', 'HIT'])
  })

  it('keys X-Forwarded-Proto: http and https never share an entry', async () => {
    const http1 = await http.get('/proto', { 'x-forwarded-proto': 'http' })
    const https1 = await http.get('/proto', { 'x-forwarded-proto': 'https' })
    expect([http1.header('x-cache'), https1.header('x-cache')]).toEqual(['MISS', 'MISS'])
    expect(JSON.parse(String(https1.body)).next).toBe('https://example.test/proto?page=2')
    const http2 = await http.get('/proto', { 'x-forwarded-proto': 'http' })
    const https2 = await http.get('/proto', { 'x-forwarded-proto': 'https' })
    expect([http2.header('x-cache'), https2.header('x-cache')]).toEqual(['HIT', 'HIT'])
    expect(JSON.parse(String(http2.body)).next).toBe('http://example.test/proto?page=2')
    expect(JSON.parse(String(https2.body)).next).toBe('https://example.test/proto?page=2')
    expect(calls.proto).toBe(2)
  })

  it('a hit does not call res.send and sends the stored ETag, a handler’s strong one as given', async () => {
    const miss = await http.get('/etag/custom')
    expect(miss.header('x-cache')).toBe('MISS')
    expect(sends).toBe(1) // the handler's res.json
    expect(miss.header('etag')).toBe('"custom-1"')
    sends = 0
    const hit = await http.get('/etag/custom')
    expect(hit.header('x-cache')).toBe('HIT')
    expect(sends).toBe(0)
    expect(hit.header('etag')).toBe('"custom-1"')
    expect(hit.body.equals(miss.body)).toBe(true)
    expect(calls['etag-custom']).toBe(1)

    // Without a handler ETag: the body's hash, computed once when stored, the same on the hit.
    const hashedMiss = await http.get('/etag/hashed')
    sends = 0
    const hashedHit = await http.get('/etag/hashed')
    expect(hashedHit.header('x-cache')).toBe('HIT')
    expect(sends).toBe(0)
    expect(hashedMiss.header('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(hashedHit.header('etag')).toBe(hashedMiss.header('etag'))
  })

  it('answers If-Modified-Since (without If-None-Match) against the stored Last-Modified', async () => {
    const miss = await http.get('/modified', { 'if-modified-since': 'Thu, 03 Dec 2026 10:00:00 GMT' })
    expect([miss.status, miss.header('x-cache')]).toEqual([304, 'MISS'])
    const cases: [string, number][] = [
      ['Thu, 03 Dec 2026 10:00:00 GMT', 304], // after Last-Modified
      ['Wed, 02 Dec 2026 10:00:00 GMT', 304], // equal
      ['Tue, 01 Dec 2026 10:00:00 GMT', 200], // before: modified since
      ['not a date', 200],
    ]
    for (const [since, status] of cases) {
      const r = await http.get('/modified', { 'if-modified-since': since })
      expect([since, r.status, r.header('x-cache')]).toEqual([since, status, 'HIT'])
    }
    // If-None-Match decides when both are sent (RFC 9110 §13.2.2).
    const both = await http.get('/modified', {
      'if-none-match': '"other"',
      'if-modified-since': 'Thu, 03 Dec 2026 10:00:00 GMT',
    })
    expect(both.status).toBe(200)
    expect(calls.modified).toBe(1)
  })
})
