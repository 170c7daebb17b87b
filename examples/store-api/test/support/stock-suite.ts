import { beforeAll, describe, expect, it } from 'vitest'
import { type Client, newCompany, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import type { Stack } from './stack.js'

type Row = Record<string, unknown>

/** Stock movements, the stock invariant under concurrency, invoices issued and cancelled in transactions. */
export function stockSuite(stack: Stack): void {
  const base = () => stack.url
  let c: { id: number; api: Client }
  let d: CompanyData

  beforeAll(async () => {
    c = await newCompany(base, 'Stockco')
    d = await populate(c.api, 'S', 6)
  })

  async function quantity(product: number, warehouse: number): Promise<number | undefined> {
    const rows = results(
      await c.api.get(`/api/stocks?product=${product}&warehouse=${warehouse}`, {
        'cache-control': 'no-cache',
      }),
    )
    return rows[0]?.quantity as number | undefined
  }

  async function ledger(product: number, warehouse: number): Promise<{ count: number; sum: number }> {
    const rows = (await stack
      .db('stock_movements')
      .where({ product_id: product, warehouse_id: warehouse })) as Row[]
    const sum = rows.reduce((s, r) => s + (r.type === 'out' ? -Number(r.quantity) : Number(r.quantity)), 0)
    return { count: rows.length, sum }
  }

  const move = (product: number, warehouse: number, type: string, qty: number) =>
    c.api.post('/api/stock-movements', { product_id: product, warehouse_id: warehouse, type, quantity: qty })

  describe('stock movements', () => {
    it('the first movement creates the stock row; an out past zero is a 409 that records nothing', async () => {
      const [p, w] = [d.products[0] as number, d.warehouses[0] as number]
      expect(await quantity(p, w)).toBeUndefined()
      expect((await move(p, w, 'out', 1)).status).toBe(409)
      const first = await move(p, w, 'in', 7)
      expect(first.status).toBe(201)
      expect(first.body).toMatchObject({
        product_id: p,
        warehouse_id: w,
        type: 'in',
        quantity: 7,
        stock_quantity: 7,
      })
      const refused = await move(p, w, 'out', 8)
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ error: { code: 'insufficient_stock' } })
      expect((await move(p, w, 'adjust', -2)).body).toMatchObject({ stock_quantity: 5 })
      expect((await move(p, w, 'adjust', -6)).status).toBe(409)
      expect(await quantity(p, w)).toBe(5)
      expect(await ledger(p, w)).toEqual({ count: 2, sum: 5 })
      const listed = results(await c.api.get(`/api/stock-movements?product=${p}`))
      expect(listed.map((m) => [m.type, m.quantity])).toEqual([
        ['adjust', -2],
        ['in', 7],
      ])
      for (const bad of [
        { product_id: p, warehouse_id: w, type: 'out', quantity: 0 },
        { product_id: p, warehouse_id: w, type: 'steal', quantity: 1 },
        { product_id: p, warehouse_id: w, type: 'in', quantity: 1.5 },
      ]) {
        expect((await c.api.post('/api/stock-movements', bad)).status).toBe(422)
      }
    })

    it('50 concurrent outs of 1 on a stock of 10: 10 accepted, 40 refused, final 0, ledger = quantity', async () => {
      const [p, w] = [d.products[1] as number, d.warehouses[0] as number]
      expect((await move(p, w, 'in', 10)).status).toBe(201)
      const replies = await Promise.all(Array.from({ length: 50 }, () => move(p, w, 'out', 1)))
      const statuses = replies.map((r) => r.status)
      expect(statuses.filter((s) => s === 201)).toHaveLength(10)
      expect(statuses.filter((s) => s === 409)).toHaveLength(40)
      expect(await quantity(p, w)).toBe(0)
      expect(await ledger(p, w)).toEqual({ count: 11, sum: 0 })
    })

    it('walks the keyset list: every movement once, newest first; a tampered cursor is a 400', async () => {
      const [p, w] = [d.products[2] as number, d.warehouses[1] as number]
      for (let i = 1; i <= 7; i++) expect((await move(p, w, 'in', i)).status).toBe(201)
      const seen: number[] = []
      let path: string | null = `/api/stock-movements?product=${p}&page_size=3`
      let cursor = ''
      while (path) {
        const r = await c.api.get(path)
        expect(r.status).toBe(200)
        const body = r.body as { next: string | null; next_cursor: string | null }
        seen.push(...results(r).map((m) => m.quantity as number))
        if (body.next_cursor) cursor = body.next_cursor
        path = body.next ? body.next.slice(base().length) : null
      }
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1])
      const byNumber = await c.api.get(`/api/stock-movements?product=${p}&page_size=3&page=3`)
      expect(byNumber.body).toMatchObject({ count: 7, page: 3, total_pages: 3 })
      expect(results(byNumber).map((m) => m.quantity)).toEqual([1])
      const mid = Math.floor(cursor.length / 2)
      const tampered = `${cursor.slice(0, mid)}${cursor[mid] === 'A' ? 'B' : 'A'}${cursor.slice(mid + 1)}`
      expect(tampered).not.toBe(cursor)
      const bad = await c.api.get(`/api/stock-movements?product=${p}&cursor=${encodeURIComponent(tampered)}`)
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({ error: { code: 'invalid_cursor' } })
      const other = await c.api.get(
        `/api/stock-movements?product=${d.products[3]}&cursor=${encodeURIComponent(cursor)}`,
      )
      expect(other.status).toBe(400)
    })

    it('a movement invalidates the cached stock list at once', async () => {
      const [p, w] = [d.products[4] as number, d.warehouses[1] as number]
      await move(p, w, 'in', 3)
      const path = `/api/stocks?product=${p}`
      expect(results(await c.api.get(path))[0]).toMatchObject({
        quantity: 3,
        product_name: 'S product 004',
        warehouse_name: 'S South',
      })
      expect((await c.api.get(path)).headers.get('x-cache')).toBe('HIT')
      await move(p, w, 'out', 2)
      const after = await c.api.get(path)
      expect(after.headers.get('x-cache')).toBe('MISS')
      expect(results(after)[0]).toMatchObject({ quantity: 1 })
      expect((await c.api.get(path)).headers.get('x-cache')).toBe('HIT')
      await c.api.patch(`/api/products/${p}`, { sale_price: '1.00' }) // not shown on stock pages
      expect((await c.api.get(path)).headers.get('x-cache')).toBe('HIT')
      await c.api.patch(`/api/products/${p}`, { name: 'S renamed 004' }) // shown on stock pages
      expect(results(await c.api.get(path))[0]).toMatchObject({ product_name: 'S renamed 004' })
    })
  })

  describe('invoices', () => {
    it('creates a draft with lines and a total; lists it with its lines', async () => {
      const r = await c.api.post('/api/invoices', {
        shop_id: d.shops[0],
        type: 'sale',
        lines: [
          { product_id: d.products[5], quantity: 2 },
          { product_id: d.products[4], quantity: 3, unit_price: '1.25' },
        ],
      })
      expect(r.status).toBe(201)
      const inv = r.body as Row
      expect(inv).toMatchObject({ type: 'sale', status: 'draft', total: '34.75', shop_name: 'S Center' })
      expect(inv.number).toMatch(/^SA-\d{6}$/)
      expect(inv.lines).toEqual([
        expect.objectContaining({ product_id: d.products[5], quantity: 2, unit_price: '15.50' }),
        expect.objectContaining({ product_id: d.products[4], quantity: 3, unit_price: '1.25' }),
      ])
      const list = results(await c.api.get(`/api/invoices?status=draft&shop=${d.shops[0]}`))
      expect(list.find((i) => i.id === inv.id)?.lines).toEqual(inv.lines)
      const bad = await c.api.post('/api/invoices', { shop_id: d.shops[0], type: 'sale', lines: [] })
      expect(bad.status).toBe(422)
    })

    it('issuing a sale takes its lines out in one transaction; short stock writes nothing (409)', async () => {
      const [p, w] = [d.products[3] as number, d.warehouses[0] as number]
      const p2 = d.products[5] as number
      await move(p, w, 'in', 5)
      await move(p2, w, 'in', 1)
      const draft = async (q1: number, q2: number) =>
        (
          (
            await c.api.post('/api/invoices', {
              shop_id: d.shops[1],
              type: 'sale',
              lines: [
                { product_id: p, quantity: q1 },
                { product_id: p2, quantity: q2 },
              ],
            })
          ).body as Row
        ).id as number
      const short = await draft(2, 2)
      const refused = await c.api.post(`/api/invoices/${short}/issue`, { warehouse_id: w })
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ error: { code: 'insufficient_stock' } })
      expect(await quantity(p, w)).toBe(5)
      expect(await quantity(p2, w)).toBe(1)
      expect((await c.api.get(`/api/invoices/${short}`)).body).toMatchObject({ status: 'draft' })

      const ok = await draft(2, 1)
      const issued = await c.api.post(`/api/invoices/${ok}/issue`, { warehouse_id: w })
      expect(issued.status).toBe(200)
      expect(issued.body).toMatchObject({ status: 'issued' })
      expect(await quantity(p, w)).toBe(3)
      expect(await quantity(p2, w)).toBe(0)
      expect((await c.api.post(`/api/invoices/${ok}/issue`, { warehouse_id: w })).status).toBe(409)

      const cancelled = await c.api.post(`/api/invoices/${ok}/cancel`, {})
      expect(cancelled.body).toMatchObject({ status: 'cancelled' })
      expect(await quantity(p, w)).toBe(5)
      expect(await quantity(p2, w)).toBe(1)
      expect(await ledger(p, w)).toMatchObject({ sum: 5 })
      expect((await c.api.post(`/api/invoices/${ok}/pay`, {})).status).toBe(409)
    })

    it('a purchase brings goods in; pay moves issued to paid', async () => {
      const [p, w] = [d.products[0] as number, d.warehouses[1] as number]
      const inv = (
        await c.api.post('/api/invoices', {
          shop_id: d.shops[0],
          type: 'purchase',
          lines: [{ product_id: p, quantity: 4 }],
        })
      ).body as Row
      expect((await c.api.post(`/api/invoices/${inv.id}/issue`, { warehouse_id: w })).status).toBe(200)
      expect(await quantity(p, w)).toBe(4)
      expect((await c.api.post(`/api/invoices/${inv.id}/pay`, {})).body).toMatchObject({ status: 'paid' })
      expect((await c.api.post(`/api/invoices/${inv.id}/cancel`, {})).status).toBe(409)
      const idem = { 'idempotency-key': `pay-${inv.id}` }
      expect(
        (
          await c.api.post(
            '/api/invoices',
            { shop_id: d.shops[0], type: 'sale', lines: [{ product_id: p, quantity: 1 }] },
            idem,
          )
        ).status,
      ).toBe(201)
      const replay = await c.api.post(
        '/api/invoices',
        { shop_id: d.shops[0], type: 'sale', lines: [{ product_id: p, quantity: 1 }] },
        idem,
      )
      expect(replay.headers.get('idempotent-replayed')).toBe('true')
    })
  })
}
