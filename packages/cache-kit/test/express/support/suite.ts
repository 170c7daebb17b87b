import { gunzipSync } from 'node:zlib'
import type { CacheManager } from '@hotpath/cache-kit'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildApp, Gate, type TestApp } from './app.js'
import { HttpClient } from './http-client.js'

const A = { authorization: 'Bearer acme' }
const B = { authorization: 'Bearer globex' }
const GZIP = { 'accept-encoding': 'gzip, deflate, br' }

/**
 * The HTTP behaviour every store must give: run once per store (memory, Redis). `makeCache` is
 * called in `beforeAll` and must return a fresh cache in its own key space; `makeOther` plays a
 * second process writing to the same store.
 */
export function describeResponseCache(
  name: string,
  makeCache: () => CacheManager,
  /** Another process's manager on the same store and prefix (no bus between them). */
  makeOther: (cache: CacheManager) => CacheManager,
): void {
  describe(`cacheResponse on ${name}`, () => {
    let t: TestApp
    let http: HttpClient
    let cache: CacheManager

    beforeAll(async () => {
      cache = makeCache()
      t = buildApp(cache)
      await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r))
      http = new HttpClient(t.server)
    })
    afterAll(async () => {
      http.close()
      await new Promise((r) => t.server.close(r))
      await cache.close()
    })
    beforeEach(async () => {
      // Each test starts from empty entries for both tenants and the public routes.
      await cache.invalidatePattern('res:*')
      for (const k of Object.keys(t.calls)) delete t.calls[k]
      t.gates.clear()
    })

    it('answers MISS, then HIT with the same bytes, ETag and no second handler call', async () => {
      const first = await http.get('/api/products?page=1', A)
      const second = await http.get('/api/products?page=1', A)
      expect(first.status).toBe(200)
      expect(first.header('x-cache')).toBe('MISS')
      expect(second.header('x-cache')).toBe('HIT')
      expect(second.body.equals(first.body)).toBe(true)
      expect(first.header('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
      expect(second.header('etag')).toBe(first.header('etag'))
      expect(second.header('vary')).toBe('Accept-Encoding, Authorization')
      expect(second.header('cache-control')).toBe('private, no-cache')
      expect(second.header('content-type')).toBe('application/json; charset=utf-8')
      expect(second.header('content-length')).toBe(String(first.body.byteLength))
      expect(second.header('age')).toMatch(/^\d+$/)
      expect(t.calls.products).toBe(1)
    })

    it('sends bodies byte-identical to the uncached route, gzip or not, miss or hit', async () => {
      const raw = await http.get('/raw/products?page=2', A)
      const missGz = await http.get('/api/products?page=2', { ...A, ...GZIP })
      const hitGz = await http.get('/api/products?page=2', { ...A, ...GZIP })
      const hitPlain = await http.get('/api/products?page=2', A)
      expect(raw.body.byteLength).toBeGreaterThan(14_000)
      expect(missGz.header('content-encoding')).toBe('gzip')
      expect(hitGz.header('content-encoding')).toBe('gzip')
      expect(hitGz.header('x-cache')).toBe('HIT')
      expect(hitGz.body.equals(missGz.body)).toBe(true) // the stored gzip bytes, not re-compressed
      expect(gunzipSync(missGz.body).equals(raw.body)).toBe(true)
      expect(gunzipSync(hitGz.body).equals(raw.body)).toBe(true)
      expect(hitPlain.header('content-encoding')).toBeUndefined()
      expect(hitPlain.body.equals(raw.body)).toBe(true)
      expect(hitGz.header('content-length')).toBe(String(hitGz.body.byteLength))
      expect(hitPlain.header('content-length')).toBe(String(raw.body.byteLength))
      expect(t.calls.products).toBe(2) // the raw route and one miss
    })

    it('answers If-None-Match with 304 and no body, without running the handler', async () => {
      const first = await http.get('/api/products', A)
      const etag = String(first.header('etag'))
      for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const r = await http.get('/api/products', { ...A, 'if-none-match': inm })
        expect(r.status).toBe(304)
        expect(r.body.byteLength).toBe(0)
        expect(r.header('etag')).toBe(etag)
        expect(r.header('x-cache')).toBe('HIT')
      }
      const other = await http.get('/api/products', { ...A, 'if-none-match': '"nope"' })
      expect(other.status).toBe(200)
      expect(t.calls.products).toBe(1)
      // On a miss the handler still runs in full; the 304 is decided against the new ETag.
      await cache.invalidateTags(['products:acme'])
      const again = await http.get('/api/products', { ...A, 'if-none-match': etag })
      expect(again.status).toBe(304)
      expect(again.header('x-cache')).toBe('MISS')
      expect(t.calls.products).toBe(2)
    })

    it('gives the gzip and identity representations their own strong ETags, each 304 only for its own', async () => {
      const plain = await http.get('/api/products?page=3', A)
      const gz = await http.get('/api/products?page=3', { ...A, ...GZIP })
      const etag = String(plain.header('etag'))
      const gzEtag = String(gz.header('etag'))
      expect(gz.header('x-cache')).toBe('HIT')
      expect(gz.header('content-encoding')).toBe('gzip')
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
      expect(gzEtag).toBe(`${etag.slice(0, -1)}-gzip"`)
      for (const r of [plain, gz]) expect(r.header('vary')).toBe('Accept-Encoding, Authorization')
      // Each representation revalidates against its own ETag (weak comparison: W/ accepted).
      for (const [headers, own, other] of [
        [A, etag, gzEtag],
        [{ ...A, ...GZIP }, gzEtag, etag],
      ] as const) {
        for (const inm of [own, `W/${own}`, `${other}, ${own}`]) {
          const r = await http.get('/api/products?page=3', { ...headers, 'if-none-match': inm })
          expect([r.status, r.header('etag'), r.body.byteLength]).toEqual([304, own, 0])
          expect(r.header('vary')).toBe('Accept-Encoding, Authorization')
          expect(r.header('content-encoding')).toBeUndefined()
        }
        // The other representation's ETag names other bytes: a full 200 with this one's ETag.
        const full = await http.get('/api/products?page=3', { ...headers, 'if-none-match': other })
        expect([full.status, full.header('etag')]).toEqual([200, own])
        expect(full.body.byteLength).toBe(own === gzEtag ? gz.body.byteLength : plain.body.byteLength)
      }
      // The handler's 304 on a miss is decided against the ETag of the representation sent too.
      await cache.invalidateTags(['products:acme'])
      const missGz = await http.get('/api/products?page=3', { ...A, ...GZIP, 'if-none-match': gzEtag })
      expect([missGz.status, missGz.header('x-cache'), missGz.header('etag')]).toEqual([304, 'MISS', gzEtag])
      expect(t.calls.products).toBe(2)
    })

    it('HEAD reads the GET entry and sends no body', async () => {
      const get = await http.get('/api/products', A)
      const head = await http.send('HEAD', '/api/products', A)
      expect(head.status).toBe(200)
      expect(head.header('x-cache')).toBe('HIT')
      expect(head.header('etag')).toBe(get.header('etag'))
      expect(head.header('content-length')).toBe(String(get.body.byteLength))
      expect(head.body.byteLength).toBe(0)
      expect(t.calls.products).toBe(1)
    })

    it('shares one entry between equivalent queries and never between different ones', async () => {
      const same = [
        '/api/products?page=2&category=3',
        '/api/products?category=3&page=2',
        '/api/products?%70age=2&category=%33',
        '/api/products?page=2&category=3&utm_source=mail', // outside the allow-list: ignored
      ]
      const bodies = []
      for (const url of same) bodies.push((await http.get(url, A)).body)
      expect(t.calls.products).toBe(1)
      for (const b of bodies) expect(b.equals(bodies[0] as Buffer)).toBe(true)
      // The handler saw only the allowed parameters.
      expect(JSON.parse(String(bodies[0])).query).toEqual({ category: '3', page: '2' })
      const different = [
        '/api/products?page=3&category=3',
        '/api/products?page=2',
        '/api/products?page=2&category=',
      ]
      for (const url of different) expect((await http.get(url, A)).header('x-cache')).toBe('MISS')
      expect(t.calls.products).toBe(4)
    })

    it('keeps duplicated parameters apart from single ones (parameter pollution)', async () => {
      const both = await http.get('/api/products?page=1&page=2', A)
      const one = await http.get('/api/products?page=1', A)
      const two = await http.get('/api/products?page=2', A)
      const reversed = await http.get('/api/products?page=2&page=1', A)
      expect(JSON.parse(String(both.body)).query).toEqual({ page: ['1', '2'] })
      expect(JSON.parse(String(one.body)).query).toEqual({ page: '1' })
      expect(JSON.parse(String(two.body)).query).toEqual({ page: '2' })
      expect(JSON.parse(String(reversed.body)).query).toEqual({ page: ['2', '1'] })
      expect(t.calls.products).toBe(4)
    })

    it('does not treat `;` as a separator (parameter cloaking)', async () => {
      const cloaked = await http.get('/api/products?category=1;page=9', A)
      expect(JSON.parse(String(cloaked.body)).query).toEqual({ category: '1;page=9' })
      const plain = await http.get('/api/products?category=1', A)
      const paged = await http.get('/api/products?category=1&page=9', A)
      expect(plain.header('x-cache')).toBe('MISS')
      expect(paged.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(plain.body)).query).toEqual({ category: '1' })
      expect(JSON.parse(String(paged.body)).query).toEqual({ category: '1', page: '9' })
    })

    it('rejects a parameter outside the allow-list with 400 when asked to', async () => {
      const r = await http.get('/api/strict?page=1&debug=1', A)
      expect(r.status).toBe(400)
      expect(t.calls.products).toBeUndefined()
      expect((await http.get('/api/strict?page=1', A)).status).toBe(200)
    })

    it('keys X-Forwarded-Host: a poisoned link never reaches another client', async () => {
      const evil = await http.get('/api/links', { 'x-forwarded-host': 'evil.example' })
      expect(JSON.parse(String(evil.body)).next).toBe('http://evil.example/api/links?page=2')
      const clean = await http.get('/api/links')
      expect(clean.header('x-cache')).toBe('MISS')
      expect(String(clean.body)).not.toContain('evil')
      expect((await http.get('/api/links')).header('x-cache')).toBe('HIT')
      expect(t.calls.links).toBe(2)
    })

    it('never reads or stores for a GET with a body (fat GET)', async () => {
      const fat = await http.send('GET', '/api/fat', { 'content-type': 'application/json' }, '{"page":99}')
      expect(JSON.parse(String(fat.body))).toEqual({ page: 99 })
      expect(fat.header('x-cache')).toBe('BYPASS')
      const clean = await http.get('/api/fat')
      expect(clean.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(clean.body))).toEqual({ page: 1 })
      const fat2 = await http.send('GET', '/api/fat', { 'content-type': 'application/json' }, '{"page":7}')
      expect(JSON.parse(String(fat2.body))).toEqual({ page: 7 })
      expect(t.calls.fat).toBe(3)
    })

    it.each([
      'error',
      'notfound',
      'cookie',
      'private',
      'nostore',
      'varystar',
      'varyunkeyed',
      'large',
      'streaming',
      'encoded',
      'partial',
    ])('never stores the %s response', async (route) => {
      const first = await http.get(`/never/${route}`)
      const second = await http.get(`/never/${route}`)
      expect(second.body.equals(first.body)).toBe(true)
      expect(first.header('x-cache')).toBe('MISS')
      expect(second.header('x-cache')).toBe('MISS')
      expect(t.calls[route]).toBe(2)
    })

    it("keys the headers a Vary set before the handler names (a middleware's Vary is honoured)", async () => {
      const fr = await http.get('/vary/prior', { 'accept-language': 'fr' })
      const en = await http.get('/vary/prior', { 'accept-language': 'en' })
      const fr2 = await http.get('/vary/prior', { 'accept-language': 'fr' })
      expect(JSON.parse(String(fr.body))).toEqual({ lang: 'fr' })
      expect(JSON.parse(String(en.body))).toEqual({ lang: 'en' })
      expect(en.header('x-cache')).toBe('MISS')
      expect(fr2.header('x-cache')).toBe('HIT')
      expect(JSON.parse(String(fr2.body))).toEqual({ lang: 'fr' })
      expect(fr2.header('vary')).toBe('Accept-Language, Accept-Encoding')
      expect(t.calls['vary-prior']).toBe(2)
    })

    it('never stores a response that varies on the credential when the scope is wider', async () => {
      const company = { 'x-company': 'acme' }
      const alice = await http.get('/vary/credential', { ...company, authorization: 'alice' })
      const bob = await http.get('/vary/credential', { ...company, authorization: 'bob' })
      expect(JSON.parse(String(bob.body))).toEqual({ user: 'bob' })
      expect(alice.header('x-cache')).toBe('MISS')
      expect(bob.header('x-cache')).toBe('MISS')
      // Not stored, yet sent with the policy's Vary too.
      expect(bob.header('vary')).toBe('Authorization, Accept-Encoding')
      expect(t.calls['vary-credential']).toBe(2)
    })

    it('bypasses when the scope resolves to nothing: no shared entry for anonymous requests', async () => {
      const one = await http.get('/api/products')
      const two = await http.get('/api/products')
      expect(one.header('x-cache')).toBe('BYPASS')
      expect(two.header('x-cache')).toBe('BYPASS')
      expect(t.calls['products:none']).toBe(2)
    })

    it('a HEAD that comes first stores nothing: the GET after it gets the full body', async () => {
      const head = await http.send('HEAD', '/api/products', A)
      expect(head.status).toBe(200)
      expect(head.body.byteLength).toBe(0)
      const get = await http.get('/api/products', A)
      expect(get.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(get.body)).tenant).toBe('acme')
      const hit = await http.get('/api/products', A)
      expect(hit.header('x-cache')).toBe('HIT')
      expect(hit.body.equals(get.body)).toBe(true)
    })

    it('sends a streaming response through untouched', async () => {
      const r = await http.get('/never/streaming')
      expect(String(r.body)).toBe('part one, part two')
      expect(r.header('transfer-encoding')).toBe('chunked')
    })

    it('stores 404 and 301 when the policy names them, and keys the vary headers it lists', async () => {
      await http.get('/opt/notfound')
      const nf = await http.get('/opt/notfound')
      expect(nf.status).toBe(404)
      expect(nf.header('x-cache')).toBe('HIT')
      await http.get('/opt/redirect')
      const rd = await http.get('/opt/redirect')
      expect(rd.status).toBe(301)
      expect(rd.header('location')).toBe('/elsewhere')
      expect(rd.header('x-cache')).toBe('HIT')
      const fr = await http.get('/opt/lang', { 'accept-language': 'fr' })
      const en = await http.get('/opt/lang', { 'accept-language': 'en' })
      const fr2 = await http.get('/opt/lang', { 'accept-language': 'fr' })
      expect(JSON.parse(String(en.body))).toEqual({ lang: 'en' })
      expect(fr2.header('x-cache')).toBe('HIT')
      expect(fr2.body.equals(fr.body)).toBe(true)
      expect(fr2.header('vary')).toBe('Accept-Encoding, Accept-Language')
      expect(t.calls).toMatchObject({ 'opt-notfound': 1, 'opt-redirect': 1, 'opt-lang': 2 })
    })

    it('with honorRequestCacheControl, skips the read on Cache-Control: no-cache and refreshes the entry', async () => {
      await http.get('/api/refreshable', A)
      t.versions.set('acme', 41)
      const refreshed = await http.get('/api/refreshable', { ...A, 'cache-control': 'no-cache' })
      expect(refreshed.header('x-cache')).toBe('BYPASS')
      expect(JSON.parse(String(refreshed.body)).version).toBe(41)
      const next = await http.get('/api/refreshable', A)
      expect(next.header('x-cache')).toBe('HIT')
      expect(JSON.parse(String(next.body)).version).toBe(41)
      expect(t.calls.products).toBe(2)
      t.versions.delete('acme')
    })

    it('by default, a client cannot skip the entry: no-cache, Pragma and no-store are HITs', async () => {
      await http.get('/api/products', A)
      t.versions.set('acme', 41)
      for (const h of [
        { 'cache-control': 'no-cache' },
        { pragma: 'no-cache' },
        { 'cache-control': 'no-store' },
      ]) {
        const r = await http.get('/api/products', { ...A, ...h })
        expect(r.header('x-cache')).toBe('HIT')
        expect(JSON.parse(String(r.body)).version).toBe(0)
      }
      expect(t.calls.products).toBe(1)
      t.versions.delete('acme')
    })

    it('runs identical concurrent requests once; followers get the leader response', async () => {
      const gate = new Gate()
      t.gates.set('acme', gate)
      const base = t.arrived.count
      const leader = http.get('/api/products?page=5', { ...A, ...GZIP })
      await gate.waiting
      const followers = Array.from({ length: 30 }, (_, i) =>
        http.get('/api/products?page=5', i % 2 ? A : { ...A, ...GZIP }),
      )
      await t.arrivals(base + 31)
      gate.release()
      const all = await Promise.all([leader, ...followers])
      expect(t.calls.products).toBe(1)
      expect(all.map((r) => r.header('x-cache')).sort()).toEqual([...Array(30).fill('HIT'), 'MISS'])
      const plain = gunzipSync((all[0] as { body: Buffer }).body)
      for (const r of all) {
        const body = r.header('content-encoding') === 'gzip' ? gunzipSync(r.body) : r.body
        expect(body.equals(plain)).toBe(true)
      }
    })

    it('single-flights per scope: another tenant never gets the leader response', async () => {
      const ga = new Gate()
      const gb = new Gate()
      t.gates.set('acme', ga)
      t.gates.set('globex', gb)
      const base = t.arrived.count
      const leaders = [http.get('/api/products', A), http.get('/api/products', B)]
      await Promise.all([ga.waiting, gb.waiting])
      const followers = Array.from({ length: 40 }, (_, i) => http.get('/api/products', i % 2 ? A : B))
      await t.arrivals(base + 42)
      ga.release()
      gb.release()
      const all = await Promise.all([...leaders, ...followers])
      expect(t.calls['products:acme']).toBe(1)
      expect(t.calls['products:globex']).toBe(1)
      const tenants = all.map((r) => JSON.parse(String(r.body)).tenant)
      expect(tenants).toEqual([
        'acme',
        'globex',
        ...Array.from({ length: 40 }, (_, i) => (i % 2 ? 'acme' : 'globex')),
      ])
    })

    it('never hands a per-request response (Set-Cookie) to followers', async () => {
      const r = await Promise.all(Array.from({ length: 10 }, () => http.get('/never/cookie')))
      expect(t.calls.cookie).toBe(10)
      const cookies = r.map((x) => String(x.headers['set-cookie']))
      expect(new Set(cookies).size).toBe(10)
    })

    it('isolates tenants under 500 concurrent mixed-tenant requests', async () => {
      const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli']
      const requests = Array.from({ length: 500 }, (_, i) => {
        const tenant = tenants[i % 5] as string
        const page = String((i >> 3) % 4)
        return {
          tenant,
          page,
          res: http.get(`/api/products?page=${page}`, { authorization: `Bearer ${tenant}` }),
        }
      })
      for (const r of requests) {
        const res = await r.res
        expect(res.status).toBe(200)
        const body = JSON.parse(String(res.body))
        expect(body.tenant).toBe(r.tenant)
        expect(body.query).toEqual({ page: r.page })
        expect(body.results[0].sku).toBe(`SKU-${r.tenant}-00000`)
      }
      // 5 tenants × 4 pages: single-flight and the cache make it at most 20 handler runs.
      expect(t.calls.products).toBeLessThanOrEqual(20)
      expect(t.calls.products).toBeGreaterThanOrEqual(1)
    })

    it('reads its own write: invalidates runs before the write response is sent', async () => {
      await http.get('/api/products', A)
      await http.get('/api/products', B)
      expect((await http.get('/api/products', A)).header('x-cache')).toBe('HIT')
      const created = await http.send(
        'POST',
        '/api/products',
        { ...A, 'content-type': 'application/json' },
        '{"name":"new"}',
      )
      expect(created.status).toBe(201)
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(t.versions.get('acme'))
      // The other tenant's entry is untouched.
      expect((await http.get('/api/products', B)).header('x-cache')).toBe('HIT')
    })

    it('sends a write response only after its invalidation finished', async () => {
      await http.get('/api/products', A)
      const gate = new Gate()
      t.gates.set('invalidation', gate)
      let answered = false
      const post = http.send('POST', '/api/products/slow-invalidation', A).then((r) => {
        answered = true
        return r
      })
      await gate.waiting
      // The invalidation is under way: the old entry still answers, and the write has no response yet.
      expect((await http.get('/api/products', A)).header('x-cache')).toBe('HIT')
      expect(answered).toBe(false)
      gate.release()
      expect((await post).status).toBe(201)
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(t.versions.get('acme'))
    })

    it('invalidates through the `invalidates` option of a cacheResponse policy', async () => {
      await http.get('/api/products', A)
      await http.get('/api/products', B)
      expect((await http.send('POST', '/api/products/via-policy', A)).status).toBe(201)
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(t.versions.get('acme'))
      expect((await http.get('/api/products', B)).header('x-cache')).toBe('HIT')
    })

    it('a failed write invalidates nothing', async () => {
      await http.get('/api/products', A)
      const failed = await http.send(
        'POST',
        '/api/products',
        { ...A, 'content-type': 'application/json' },
        '{}',
      )
      expect(failed.status).toBe(422)
      expect((await http.get('/api/products', A)).header('x-cache')).toBe('HIT')
    })

    it('an explicit cache.invalidateTags in a handler works as well', async () => {
      await http.get('/api/products', A)
      await http.send('POST', '/api/products/explicit', A)
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(t.versions.get('acme'))
    })

    it('does not store a response computed before a write that invalidated it', async () => {
      const gate = new Gate()
      t.gates.set('acme', gate)
      const before = http.get('/api/products', A)
      await gate.waiting
      const created = await http.send(
        'POST',
        '/api/products',
        { ...A, 'content-type': 'application/json' },
        '{"name":"x"}',
      )
      expect(created.status).toBe(201)
      // The read that started before the write finishes now (its data may predate the write).
      gate.release()
      await before
      t.gates.delete('acme')
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(t.versions.get('acme'))
    })

    it('a write invalidated in another process while a miss computes leaves that entry invalid', async () => {
      const other = makeOther(cache)
      const gate = new Gate()
      t.gates.set('acme', gate)
      const v0 = t.versions.get('acme') ?? 0
      const before = http.get('/api/products', A) // reads version v0, then waits
      await gate.waiting
      t.versions.set('acme', v0 + 1)
      await other.invalidateTags(['products:acme']) // the other process's write
      gate.release()
      expect(JSON.parse(String((await before).body)).version).toBe(v0)
      t.gates.delete('acme')
      const after = await http.get('/api/products', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).version).toBe(v0 + 1)
      await other.close()
    })

    it('serves STALE to requests that arrive while one request refreshes a stale entry', async () => {
      const sets = cache.stats().sets
      const first = await http.get('/grace-gated')
      // The client is answered before the entry is written: wait for the write, not a duration.
      while (cache.stats().sets === sets) await new Promise((r) => setImmediate(r))
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        vi.setSystemTime(Date.now() + 5_000)
        const gate = new Gate()
        t.gates.set('grace', gate)
        const refresh = http.get('/grace-gated')
        await gate.waiting
        const during = await Promise.all([http.get('/grace-gated'), http.get('/grace-gated')])
        for (const r of during) {
          expect(r.header('x-cache')).toBe('STALE')
          expect(r.body.equals(first.body)).toBe(true)
        }
        gate.release()
        const fresh = await refresh
        expect(fresh.header('x-cache')).toBe('MISS')
        expect(JSON.parse(String(fresh.body)).n).toBe(JSON.parse(String(first.body)).n + 1)
      } finally {
        vi.useRealTimers()
        t.gates.delete('grace')
      }
      expect(t.calls['grace-gated']).toBe(2)
    })

    it('serves STALE within grace when the refresh fails, fresh when it succeeds', async () => {
      const first = await http.get('/grace')
      expect(JSON.parse(String(first.body))).toEqual({ n: 1 })
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        vi.setSystemTime(Date.now() + 5_000)
        const failing = await http.get('/grace') // handler answers 503: the stale entry is served
        expect(failing.status).toBe(200)
        expect(failing.header('x-cache')).toBe('STALE')
        expect(failing.body.equals(first.body)).toBe(true)
        const refreshed = await http.get('/grace')
        expect(refreshed.header('x-cache')).toBe('MISS')
        expect(JSON.parse(String(refreshed.body))).toEqual({ n: 3 })
        expect((await http.get('/grace')).header('x-cache')).toBe('HIT')
      } finally {
        vi.useRealTimers()
      }
      expect(t.calls.grace).toBe(3)
    })
  })
}
