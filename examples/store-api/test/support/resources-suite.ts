import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Client, call, newCompany, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import { ADMIN_TOKEN, type Stack } from './stack.js'

type Row = Record<string, unknown>

/** Auth, admin, every resource route, validation and tenant isolation, on one stack. */
export function resourcesSuite(stack: Stack): void {
  const base = () => stack.url
  let a: { id: number; api: Client }
  let b: { id: number; api: Client }
  let da: CompanyData
  let db: CompanyData
  /** Ids of A's rows per list route, for the isolation checks. */
  let owned: Record<string, number[]>

  beforeAll(async () => {
    a = await newCompany(base, 'Acme')
    b = await newCompany(base, 'Bolt')
    da = await populate(a.api, 'A')
    db = await populate(b.api, 'B', 4)
    const product = da.products[0]
    const mv = await a.api.post('/api/stock-movements', {
      product_id: product,
      warehouse_id: da.warehouses[0],
      type: 'in',
      quantity: 5,
    })
    const stock = results(await a.api.get(`/api/stocks?product=${product}`))[0]
    const inv = await a.api.post('/api/invoices', {
      shop_id: da.shops[0],
      type: 'sale',
      lines: [{ product_id: product, quantity: 1 }],
    })
    owned = {
      ...da,
      stocks: [Number(stock?.id)],
      'stock-movements': [(mv.body as Row).id as number],
      invoices: [(inv.body as Row).id as number],
    }
  })

  describe('auth', () => {
    it('answers 401 without a key, with an unknown key and with a malformed header', async () => {
      for (const headers of [{}, { authorization: 'Bearer sk_nope' }, { authorization: 'Basic abc' }]) {
        const r = await call(base(), '/api/products', { headers })
        expect(r.status).toBe(401)
        expect(r.body).toMatchObject({ error: { code: 'unauthorized' } })
      }
    })

    it('keeps only the sha256 of a key, and the admin route needs the admin token', async () => {
      const rows = (await stack.db('api_keys').where({ company_id: a.id }).select('key_hash')) as {
        key_hash: string
      }[]
      expect(rows.map((r) => r.key_hash)).toEqual([createHash('sha256').update(a.api.key).digest('hex')])
      const body = { name: 'X', email: 'x@example.test' }
      expect((await call(base(), '/api/admin/companies', { method: 'POST', body })).status).toBe(401)
      expect(
        (await call(base(), '/api/admin/companies', { method: 'POST', body, key: a.api.key })).status,
      ).toBe(401)
      const created = await call(base(), '/api/admin/companies', { method: 'POST', body, key: ADMIN_TOKEN })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ company: { name: 'X', email: 'x@example.test', is_active: true } })
      const again = await call(base(), '/api/admin/companies', { method: 'POST', body, key: ADMIN_TOKEN })
      expect(again.status).toBe(409)
      const bad = await call(base(), '/api/admin/companies', {
        method: 'POST',
        body: { name: '' },
        key: ADMIN_TOKEN,
      })
      expect(bad.status).toBe(422)
      expect(bad.body).toMatchObject({ error: { code: 'validation_failed' } })
      expect((bad.body as { error: { details: unknown[] } }).error.details.length).toBeGreaterThanOrEqual(2)
    })
  })

  describe('simple resources', () => {
    const cases = [
      { path: '/api/shops', create: { name: 'Kiosk', city: 'Metz' }, patch: { city: 'Brest' } },
      { path: '/api/categories', create: { name: 'Paint' }, patch: { name: 'Paints' } },
      {
        path: '/api/suppliers',
        create: { name: 'Dupont', email: 'd@dupont.test' },
        patch: { name: 'Dupont SA' },
      },
      { path: '/api/warehouses', create: { name: 'East', city: 'Metz' }, patch: { city: 'Nancy' } },
    ]
    for (const c of cases) {
      it(`${c.path}: create 201, detail, patch 200, list, delete 204, then 404`, async () => {
        const created = await a.api.post(c.path, c.create)
        expect(created.status).toBe(201)
        expect(created.body).toMatchObject(c.create)
        const id = (created.body as { id: number }).id
        expect((await a.api.get(`${c.path}/${id}`)).body).toMatchObject({ id, ...c.create })
        const patched = await a.api.patch(`${c.path}/${id}`, c.patch)
        expect(patched.status).toBe(200)
        expect(patched.body).toMatchObject({ id, ...c.patch })
        const list = await a.api.get(`${c.path}?page_size=100`)
        expect(list.status).toBe(200)
        expect(results(list).map((r) => r.id)).toContain(id)
        expect(list.body).toMatchObject({ count_is_estimate: false, page: 1, page_size: 100 })
        expect((await a.api.del(`${c.path}/${id}`)).status).toBe(204)
        expect((await a.api.get(`${c.path}/${id}`)).status).toBe(404)
        const invalid = await a.api.post(c.path, { ...c.create, name: '' })
        expect(invalid.status).toBe(422)
        expect(invalid.body).toMatchObject({
          error: { code: 'validation_failed', details: [{ path: 'name' }] },
        })
      })
    }
  })

  describe('products', () => {
    it('lists with the category and supplier names joined in', async () => {
      const r = await a.api.get('/api/products?ordering=name&page_size=3')
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ count: 12, page: 1, page_size: 3, total_pages: 4, previous: null })
      expect((r.body as { next: string }).next).toBe(
        `${base()}/api/products?ordering=name&page=2&page_size=3`,
      )
      expect(r.headers.get('link')).toContain('rel="next"')
      expect(results(r)[0]).toMatchObject({
        name: 'A product 000',
        sku: 'A-0',
        category_name: 'A Tools',
        supplier_name: 'A Supply',
        sale_price: '10.50',
        cost_price: '5.00',
        is_active: false,
      })
    })

    it('filters by category, supplier, is_active, search and price', async () => {
      const names = async (q: string) =>
        results(await a.api.get(`/api/products?ordering=name&${q}`)).map((r) => r.name)
      expect(await names(`category=${da.categories[1]}`)).toHaveLength(6)
      expect(await names(`supplier=${da.suppliers[0]}`)).toHaveLength(6)
      expect(await names('is_active=false')).toEqual([
        'A product 000',
        'A product 003',
        'A product 006',
        'A product 009',
      ])
      expect(await names('search=A%20product%2001')).toEqual(['A product 010', 'A product 011'])
      expect(await names('min_price=20&max_price=21')).toEqual(['A product 010'])
      expect((await a.api.get('/api/products?min_price=cheap')).status).toBe(400)
    })

    it('walks every page once, in order; clamps page_size; refuses bad paging', async () => {
      const seen: unknown[] = []
      for (let page = 1; page <= 3; page++) {
        seen.push(
          ...results(await a.api.get(`/api/products?ordering=-sale_price&page_size=5&page=${page}`)).map(
            (r) => r.sku,
          ),
        )
      }
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `A-${11 - i}`))
      expect((await a.api.get('/api/products?page_size=1000')).body).toMatchObject({ page_size: 100 })
      for (const q of ['page=0', 'page=-1', 'page=abc', 'ordering=cost', 'page_size=0']) {
        const r = await a.api.get(`/api/products?${q}`)
        expect(r.status, q).toBe(400)
        expect((r.body as { error: { code: string } }).error.code, q).toMatch(/^invalid_/)
      }
      // The same list walked by keyset: `cursor=` starts it, next links continue it.
      const walked: unknown[] = []
      let path: string | null = '/api/products?ordering=-sale_price&page_size=5&cursor='
      while (path) {
        const r = await a.api.get(path)
        expect(r.status, path).toBe(200)
        const body = r.body as { next: string | null; next_cursor: string | null; count?: number }
        expect(body.count).toBeUndefined()
        walked.push(...results(r).map((x) => x.sku))
        path = body.next ? body.next.slice(base().length) : null
      }
      expect(walked).toEqual(seen)
      const past = await a.api.get('/api/products?page=99')
      expect(past.status).toBe(404)
      expect(past.body).toMatchObject({ error: { code: 'invalid_page' } })
    })

    it('validates bodies: 422 with details, 409 on a taken SKU, another company’s category is refused', async () => {
      const bad = await a.api.post('/api/products', {
        name: 'X',
        sku: 'X',
        sale_price: '-1',
        is_active: 'yes',
      })
      expect(bad.status).toBe(422)
      const paths = (bad.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)
      expect(paths).toEqual(expect.arrayContaining(['sale_price', 'is_active']))
      expect((await a.api.post('/api/products', { name: 'Dup', sku: 'A-1', sale_price: 1 })).status).toBe(409)
      const foreign = await a.api.post('/api/products', {
        name: 'F',
        sku: 'F',
        sale_price: 1,
        category_id: db.categories[0],
      })
      expect(foreign.status).toBe(422)
      expect(foreign.body).toMatchObject({ error: { details: [{ path: 'category_id' }] } })
    })
  })

  describe('tenant isolation', () => {
    const details = ['shops', 'categories', 'suppliers', 'warehouses', 'products'] as const

    it('another company’s id is a 404 on every detail, patch and delete', async () => {
      for (const r of ['stocks', 'stock-movements', 'invoices']) {
        const id = owned[r]?.[0]
        expect(id, r).toBeGreaterThan(0)
        expect((await b.api.get(`/api/${r}/${id}`)).status, r).toBe(404)
        expect((await a.api.get(`/api/${r}/${id}`)).status, r).toBe(200)
      }
      for (const r of details) {
        const id = da[r][0]
        for (const res of [
          await b.api.get(`/api/${r}/${id}`),
          await b.api.patch(`/api/${r}/${id}`, { name: 'stolen' }),
          await b.api.del(`/api/${r}/${id}`),
        ]) {
          expect(res.status, r).toBe(404)
          expect(res.body).toMatchObject({ error: { code: 'not_found' } })
        }
        expect((await a.api.get(`/api/${r}/${id}`)).status).toBe(200)
      }
    })

    it('lists never show another company’s rows: cached, uncached, and after the other company writes', async () => {
      const lists = [...details, 'stocks', 'stock-movements', 'invoices']
      for (const round of ['first', 'cached', 'no-cache'] as const) {
        for (const r of lists) {
          const headers: Record<string, string> = round === 'no-cache' ? { 'cache-control': 'no-cache' } : {}
          const mine = await b.api.get(`/api/${r}?page_size=100`, headers)
          expect(mine.status, r).toBe(200)
          const ids = results(mine).map((x) => x.id)
          const theirs = owned[r] ?? []
          expect(theirs.length, r).toBeGreaterThan(0)
          for (const id of theirs) expect(ids, `${r} ${round}`).not.toContain(id)
          if (r in db) expect(ids.length, r).toBe((db as unknown as Record<string, number[]>)[r]?.length)
        }
      }
      const before = await b.api.get('/api/products?page_size=100')
      expect(before.headers.get('x-cache')).toBe('HIT')
      await a.api.patch(`/api/products/${da.products[0]}`, { name: 'A renamed' })
      const after = await b.api.get('/api/products?page_size=100')
      expect(after.headers.get('x-cache')).toBe('HIT') // A's write did not invalidate B's entries
      expect(after.text).toBe(before.text)
    })
  })

  describe('response cache', () => {
    it('MISS, then HIT with an ETag; If-None-Match gives 304; a write shows at once', async () => {
      const path = `/api/products?category=${da.categories[0]}&ordering=name`
      const first = await a.api.get(path)
      expect(first.headers.get('x-cache')).toBe('MISS')
      expect(first.headers.get('vary')).toMatch(/Authorization/)
      expect(first.headers.get('vary')).toMatch(/Accept-Encoding/)
      const etag = first.headers.get('etag')
      expect(etag).toBeTruthy()
      const reordered = await a.api.get(`/api/products?ordering=name&category=${da.categories[0]}`)
      expect(reordered.headers.get('x-cache')).toBe('HIT')
      expect(reordered.text).toBe(first.text)
      const notModified = await a.api.get(path, { 'if-none-match': etag ?? '' })
      expect(notModified.status).toBe(304)
      expect(notModified.text).toBe('')
      // No client can force a database read: request Cache-Control is ignored.
      const forced = await a.api.get(path, { 'cache-control': 'no-cache' })
      expect(forced.headers.get('x-cache')).toBe('HIT')
      const target = results(first)[0] as Row
      expect((await a.api.patch(`/api/products/${target.id}`, { sale_price: '99.99' })).status).toBe(200)
      const fresh = await a.api.get(path)
      expect(fresh.headers.get('x-cache')).toBe('MISS')
      expect(results(fresh)[0]).toMatchObject({ id: target.id, sale_price: '99.99' })
      expect((await a.api.get(path, { 'if-none-match': etag ?? '' })).status).toBe(200)
      const detail = await a.api.get(`/api/products/${target.id}`)
      expect((await a.api.get(`/api/products/${target.id}`)).headers.get('x-cache')).toBe('HIT')
      expect(detail.body).toMatchObject({ sale_price: '99.99' })
    })

    it('a category rename refreshes the product lists that show it', async () => {
      const path = `/api/products?category=${da.categories[1]}&page_size=1`
      expect(results(await a.api.get(path))[0]).toMatchObject({ category_name: 'A Garden' })
      expect((await a.api.get(path)).headers.get('x-cache')).toBe('HIT')
      await a.api.patch(`/api/categories/${da.categories[1]}`, { name: 'A Outdoor' })
      expect(results(await a.api.get(path))[0]).toMatchObject({ category_name: 'A Outdoor' })
    })
  })

  describe('idempotency', () => {
    it('replays the first response for the same key and body, writes once, scopes keys per company', async () => {
      const body = { name: 'Idem', sku: 'IDEM-1', sale_price: '3.00' }
      const key = { 'idempotency-key': 'order-42' }
      const first = await a.api.post('/api/products', body, key)
      expect(first.status).toBe(201)
      const second = await a.api.post('/api/products', body, key)
      expect(second.status).toBe(201)
      expect(second.headers.get('idempotent-replayed')).toBe('true')
      expect(second.body).toEqual(first.body)
      const rows = await stack.db('products').where({ company_id: a.id, sku: 'IDEM-1' }).count({ n: '*' })
      expect(Number(rows[0]?.n)).toBe(1)
      const other = await a.api.post('/api/products', { ...body, sku: 'IDEM-2' }, key)
      expect(other.status).toBe(422)
      expect(other.body).toMatchObject({ error: { code: 'idempotency_key_reused' } })
      const elsewhere = await b.api.post('/api/products', body, key)
      expect(elsewhere.status).toBe(201)
      expect(elsewhere.headers.get('idempotent-replayed')).toBeNull()
    })
  })

  describe('bad input never gives a 500', () => {
    it('malformed JSON 400, body over 1 MiB 413, unknown route 404, non-numeric id 404', async () => {
      const malformed = await call(base(), '/api/products', {
        method: 'POST',
        key: a.api.key,
        raw: '{"name": ',
      })
      expect(malformed.status).toBe(400)
      expect(malformed.body).toMatchObject({ error: { code: 'malformed_json' } })
      const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), sku: 'big', sale_price: 1 })
      const big = await call(base(), '/api/products', { method: 'POST', key: a.api.key, raw: huge })
      expect(big.status).toBe(413)
      expect(big.body).toMatchObject({ error: { code: 'payload_too_large' } })
      const nowhere = await a.api.get('/api/nowhere')
      expect(nowhere.status).toBe(404)
      expect(nowhere.body).toMatchObject({ error: { code: 'route_not_found' } })
      expect((await a.api.get('/api/products/abc')).status).toBe(404)
      expect((await a.api.get('/api/products/99999999999999999999')).status).toBe(404)
      expect((await a.api.post('/api/products', [1, 2])).status).toBe(422)
    })
  })
}
