// Row-precise invalidation, run on every store: a cached list or detail names the rows it shows
// (`rows`), a write names what it changed (`{ rows: [...] }`), and only the responses the write
// can change are dropped. Plus the race guard: a response whose handler read the rows before a
// write committed is never stored, whatever the order of events.
import type { CacheManager } from '@hotpath/cache-kit'
import { cacheResponse, invalidates, type NotStorableReason } from '@hotpath/cache-kit/express'
import express, { type Request } from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Gate, tenantOf } from './app.js'
import { type HttpClient, type Served, serve } from './http-client.js'

interface Product {
  id: number
  price: number
  created: number
}

const A = { authorization: 'Bearer acme' }
const B = { authorization: 'Bearer globex' }

/**
 * Registers the row-precision suite for one store. `clock`: the store orders version creations
 * and invalidations (`stampTagsClocked`); `false`: it cannot tell.
 */
export function describeRowPrecision(name: string, makeCache: () => CacheManager, clock: boolean): void {
  describe(`row-precise invalidation on ${name}`, () => {
    let cache: CacheManager
    let served: Served
    let http: HttpClient
    /** Products per tenant, ids 1..120, price = id, created = id. */
    const tables = new Map<string, Product[]>()
    let calls = 0
    let notStored: NotStorableReason[] = []
    /** When set, the list handler reads its rows, then waits on it before answering. */
    let gate: Gate | undefined

    const table = (req: Request) => tables.get(tenantOf(req) ?? '') ?? []

    /** Keys written since the last `warm`, observed on the real cache. */
    const written: string[] = []
    /** Whether `path`'s entry was written: its key holds the path and the sorted query. */
    const storedFor = (path: string) => {
      const [p, q = ''] = path.split('?')
      const fragment = `${p}?${q.split('&').filter(Boolean).sort().join('&')}|`
      return written.some((k) => k.includes(fragment))
    }

    /** `snapshotTags` calls that named row sets, observed on the real cache. */
    let rowSetsAsked = 0
    /** Every `snapshotTags` call, observed on the real cache. */
    let snapshots = 0

    beforeAll(async () => {
      cache = makeCache()
      const set = cache.set.bind(cache)
      cache.set = async (key, value, options) => {
        await set(key, value, options)
        written.push(key)
      }
      const snapshotTags = cache.snapshotTags.bind(cache)
      cache.snapshotTags = (tags, options) => {
        snapshots++
        if (options?.rowSets) rowSetsAsked++
        return snapshotTags(tags, options)
      }
      const app = express()
      app.use(express.json())
      const rowsRead = cacheResponse(cache, {
        ttl: '5m',
        scope: tenantOf,
        query: ['page', 'ordering'],
        rows: {
          resource: 'products',
          ids: (body) => (body as { results: Product[] }).results.map((p) => p.id),
          columns: (req) => [String(req.query.ordering ?? 'created').replace('-', '')],
          list: true,
        },
        onNotStored: (reason) => notStored.push(reason),
      })
      app.get('/products', rowsRead, async (req, res) => {
        calls++
        const ordering = String(req.query.ordering ?? 'created')
        const key = ordering.replace('-', '') as 'price' | 'created'
        const desc = ordering.startsWith('-')
        const rows = [...table(req)].sort((x, y) => (desc ? y[key] - x[key] : x[key] - y[key]))
        const page = Number(req.query.page ?? 1)
        const results = rows.slice((page - 1) * 10, page * 10).map((p) => ({ ...p }))
        const count = rows.length
        if (gate) await gate.wait()
        res.json({ count, results })
      })
      // Ordered by price, tagged by the range of prices each page shows.
      const ranged = cacheResponse(cache, {
        ttl: '5m',
        scope: tenantOf,
        query: ['page'],
        rows: {
          resource: 'products',
          ids: (body) => (body as { results: Product[] }).results.map((p) => p.id),
          ranges: (body) => {
            const prices = (body as { results: Product[] }).results.map((p) => p.price)
            return [{ column: 'price', low: Math.min(...prices), high: Math.max(...prices) }]
          },
          list: true,
        },
      })
      app.get('/by-price', ranged, (req, res) => {
        calls++
        const rows = [...table(req)].sort((x, y) => x.price - y.price || x.id - y.id)
        const page = Number(req.query.page ?? 1)
        res.json({ results: rows.slice((page - 1) * 10, page * 10).map((p) => ({ ...p })) })
      })
      // A price change that names the old and the new price (or, with ?plain, only the column).
      app.patch(
        '/prices/:id',
        invalidates(cache, (req) => {
          const old = (req as Request & { oldPrice?: number }).oldPrice as number
          const change = { resource: 'products', scope: tenantOf(req) ?? '', ids: [Number(req.params.id)] }
          return {
            rows: [
              req.query.plain !== undefined
                ? { ...change, columns: ['price'] }
                : { ...change, ranges: [{ column: 'price', low: old, high: Number(req.body.price) }] },
            ],
          }
        }),
        (req, res) => {
          const p = table(req).find((x) => x.id === Number(req.params.id)) as Product
          ;(req as Request & { oldPrice?: number }).oldPrice = p.price
          p.price = Number(req.body.price)
          res.json(p)
        },
      )
      const detail = cacheResponse(cache, {
        ttl: '5m',
        scope: tenantOf,
        rows: { resource: 'products', ids: (body) => [(body as Product).id] },
      })
      app.get('/products/:id', detail, (req, res) => {
        calls++
        const p = table(req).find((x) => x.id === Number(req.params.id))
        if (!p) res.status(404).json({ error: 'not found' })
        else res.json(p)
      })
      app.patch(
        '/products/:id',
        invalidates(cache, (req) => ({
          rows: [
            {
              resource: 'products',
              scope: tenantOf(req) ?? '',
              ids: [Number(req.params.id)],
              columns: Object.keys(req.body),
            },
          ],
        })),
        (req, res) => {
          const p = table(req).find((x) => x.id === Number(req.params.id)) as Product
          Object.assign(p, req.body)
          res.json(p)
        },
      )
      app.post(
        '/products',
        invalidates(cache, (req) => ({
          rows: [{ resource: 'products', scope: tenantOf(req) ?? '', membership: true }],
        })),
        (req, res) => {
          const rows = table(req)
          const p = { id: rows.length + 1, price: Number(req.body.price), created: rows.length + 1 }
          rows.push(p)
          res.status(201).json(p)
        },
      )
      served = await serve(app)
      http = served.http
    })
    afterAll(async () => {
      await served.close()
      await cache.close()
    })
    beforeEach(async () => {
      for (const t of ['acme', 'globex']) {
        tables.set(
          t,
          Array.from({ length: 120 }, (_, i) => ({ id: i + 1, price: i + 1, created: i + 1 })),
        )
      }
      await cache.invalidatePattern('res:*')
      calls = 0
      notStored = []
      gate = undefined
    })

    /** GETs `path` and waits until its entry is written (the client is answered before). */
    async function warm(path: string, headers = A) {
      written.length = 0
      const r = await http.get(path, headers)
      expect(r.header('x-cache')).toBe('MISS')
      while (!storedFor(path)) await new Promise((res) => setImmediate(res))
      return r
    }
    /** Waits until the response to `path` has been stored or refused (it was sent before either). */
    async function decided(path: string) {
      while (!storedFor(path) && notStored.length === 0) await new Promise((res) => setImmediate(res))
    }
    const state = async (path: string, headers = A) => (await http.get(path, headers)).header('x-cache')
    /** GETs `path` (a miss) while product `id`, which it does not show, is written; waits until it is decided. */
    async function readWhileWriting(path: string, id: number) {
      gate = new Gate()
      written.length = 0
      notStored = []
      snapshots = 0
      const read = http.get(path, A)
      await gate.waiting
      await http.send('PATCH', `/products/${id}`, { ...A, 'content-type': 'application/json' }, '{"price":1}')
      gate.release()
      gate = undefined
      expect((await read).header('x-cache')).toBe('MISS')
      await decided(path)
    }

    it('names the row set of a page to the cache only where the cache keeps row sets', async () => {
      rowSetsAsked = 0
      await warm('/products?page=2')
      expect(rowSetsAsked).toBe(cache.keepsRowSets ? 1 : 0)
    })

    it('a write to row 42 drops the pages and details that show it, and nothing else', async () => {
      await warm('/products?page=1') // ids 1-10
      await warm('/products?page=5') // ids 41-50
      await warm('/products/42')
      await warm('/products/7')
      await warm('/products?page=5', B) // another tenant's row 42
      const n = calls
      expect(
        (await http.send('PATCH', '/products/42', { ...A, 'content-type': 'application/json' }, '{"name":1}'))
          .status,
      ).toBe(200)
      expect(await state('/products?page=1')).toBe('HIT')
      expect(await state('/products/7')).toBe('HIT')
      expect(await state('/products?page=5', B)).toBe('HIT')
      expect(await state('/products?page=5')).toBe('MISS')
      expect(await state('/products/42')).toBe('MISS')
      expect(calls).toBe(n + 2)
    })

    it('a change of the ordering column drops the pages ordered by it, and the page showing the row', async () => {
      await warm('/products?page=3&ordering=price')
      await warm('/products?page=3&ordering=-price')
      await warm('/products?page=3') // ordered by created: rows 21-30
      await warm('/products?page=1') // rows 1-10
      const r = await http.send(
        'PATCH',
        '/products/5',
        { ...A, 'content-type': 'application/json' },
        '{"price":1000}',
      )
      expect(r.status).toBe(200)
      expect(await state('/products?page=3&ordering=price')).toBe('MISS')
      expect(await state('/products?page=3&ordering=-price')).toBe('MISS')
      expect(await state('/products?page=3')).toBe('HIT')
      // Page 1 by creation shows row 5: it is dropped and shows the new price.
      const page1 = await http.get('/products?page=1', A)
      expect(page1.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(page1.body)).results[4]).toEqual({ id: 5, price: 1000, created: 5 })
    })

    it('a price change drops only the pages ordered by price whose range it crosses', async () => {
      for (const page of [1, 5, 10, 11, 12]) await warm(`/by-price?page=${page}`) // prices 1-10 … 111-120
      const patch = (path: string, price: number) =>
        http.send('PATCH', path, { ...A, 'content-type': 'application/json' }, JSON.stringify({ price }))
      // Product 95 (page 10) moves from 95 to 115 (page 12): pages 10, 11 and 12 change.
      expect((await patch('/prices/95', 115)).status).toBe(200)
      expect(await state('/by-price?page=1')).toBe('HIT')
      expect(await state('/by-price?page=5')).toBe('HIT')
      for (const page of [10, 11, 12]) {
        const r = await http.get(`/by-price?page=${page}`, A)
        expect(r.header('x-cache')).toBe('MISS')
      }
      const page11 = JSON.parse(String((await http.get('/by-price?page=11', A)).body)).results
      expect(page11.map((p: Product) => p.id)).toEqual([102, 103, 104, 105, 106, 107, 108, 109, 110, 111])
      // A change that does not say where the row was drops every page ordered by price.
      expect(await state('/by-price?page=1')).toBe('HIT')
      expect((await patch('/prices/60?plain', 61)).status).toBe(200)
      expect(await state('/by-price?page=1')).toBe('MISS')
      expect(await state('/by-price?page=5')).toBe('MISS')
    })

    it('an insert drops every list of the scope (membership and count), not the details', async () => {
      await warm('/products?page=1')
      await warm('/products?page=12')
      await warm('/products/3')
      await warm('/products?page=1', B)
      const created = await http.send(
        'POST',
        '/products',
        { ...A, 'content-type': 'application/json' },
        '{"price":5}',
      )
      expect(created.status).toBe(201)
      const page1 = await http.get('/products?page=1', A)
      expect(page1.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(page1.body)).count).toBe(121)
      expect(await state('/products?page=12')).toBe('MISS')
      expect(await state('/products/3')).toBe('HIT')
      expect(await state('/products?page=1', B)).toBe('HIT')
    })

    it('never stores a response whose handler read row 42 before a write to it committed', async () => {
      gate = new Gate()
      written.length = 0
      snapshots = 0
      const read = http.get('/products?page=5', A)
      await gate.waiting // the handler has read its rows (price 42 for row 42)
      const write = await http.send(
        'PATCH',
        '/products/42',
        { ...A, 'content-type': 'application/json' },
        '{"price":4200}',
      )
      expect(write.status).toBe(200)
      gate.release()
      gate = undefined
      const first = await read
      expect(JSON.parse(String(first.body)).results[1].price).toBe(42) // read before the write, sent as read
      await decided('/products?page=5')
      // The write ran in this process: the response is refused without asking the store again
      // (one snapshot, before the handler).
      expect(snapshots).toBe(1)
      const after = await http.get('/products?page=5', A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).results[1].price).toBe(4200)
      expect(notStored).toEqual(['invalidated'])
    })

    it('a write to another row of the scope while the handler runs: stored only if the store tells its rows were left alone', async () => {
      // The rows a response shows are known only after its handler, and a write to the scope in
      // between moves the epoch. Where the store keeps a clock and every row tag read after the
      // handler already existed before it, none of those rows was invalidated: the response is
      // stored. Otherwise it is sent and not stored.
      await warm('/products?page=1') // rows 1-10 get their tags
      const path = '/products?page=1&ordering=created' // the same rows under another key
      await readWhileWriting(path, 99)
      // This process heard the write, but not of a row the page shows: only the store can tell.
      expect(snapshots).toBe(2)
      if (clock) {
        expect(notStored).toEqual([])
        expect(await state(path)).toBe('HIT')
      } else {
        expect(notStored).toEqual(['invalidated'])
        await warm(path)
        expect(await state(path)).toBe('HIT')
      }
    })

    it('rows no cached response showed yet: a write elsewhere in the scope while the handler runs does not stop it being stored', async () => {
      // Their tags are created after the handler, so their versions cannot tell; the store's log
      // of invalidations, where it keeps one, holds every write since the handler started.
      const path = '/products?page=7' // rows 61-70, never shown before
      await readWhileWriting(path, 118)
      expect(notStored).toEqual(clock ? [] : ['invalidated'])
      expect(await state(path)).toBe(clock ? 'HIT' : 'MISS')
    })

    it('rows no cached response showed yet: a write to one of them while the handler runs stops it being stored', async () => {
      const path = '/products?page=8' // rows 71-80, never shown before
      await readWhileWriting(path, 75)
      expect(notStored).toEqual(['invalidated'])
      expect(snapshots).toBe(1)
      const after = await http.get(path, A)
      expect(after.header('x-cache')).toBe('MISS')
      expect(JSON.parse(String(after.body)).results[4].price).toBe(1)
    })

    it('a row written just before the handler started: a write elsewhere in the scope while it runs does not stop it being stored', async () => {
      // Row 3's tag was invalidated before the handler read its rows, so the rows are current;
      // the store's clock tells that invalidation from one that happens while the handler runs.
      await warm('/products?page=1')
      await http.send('PATCH', '/products/3', { ...A, 'content-type': 'application/json' }, '{"price":300}')
      const path = '/products?page=1&ordering=created' // rows 1-10 under another key
      await readWhileWriting(path, 119)
      expect(notStored).toEqual(clock ? [] : ['invalidated'])
      expect(await state(path)).toBe(clock ? 'HIT' : 'MISS')
    })
  })
}
