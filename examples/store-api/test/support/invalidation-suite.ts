import { beforeAll, describe, expect, it } from 'vitest'
import { type Client, client, newCompany, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import type { Stack } from './stack.js'

/** The cached reads the suite watches, by name. */
type ReadName =
  | 'productList'
  | 'productX'
  | 'productY'
  | 'stockList'
  | 'stockX'
  | 'stockY'
  | 'invoiceList'
  | 'invoiceX'
  | 'movementList'
  | 'movementX'

/**
 * Each write makes stale exactly the cached responses it changes: after the write, those are
 * recomputed (`MISS`) and show it, and every other one is still served from the cache (`HIT`) with
 * the body an instance without response cache reads from the database. X and Y are two products, each
 * with a stock in the same warehouse.
 */
export function invalidationSuite(stack: Stack): void {
  let api: Client
  let d: CompanyData
  let reads: Record<ReadName, string>

  beforeAll(async () => {
    const company = await newCompany(() => stack.url, 'Narrow')
    api = company.api
    d = await populate(api, 'N', 4)
    const stockIds: number[] = []
    const movementIds: number[] = []
    for (const product of d.products.slice(0, 2)) {
      const moved = await api.post('/api/stock-movements', {
        product_id: product,
        warehouse_id: d.warehouses[0],
        type: 'in',
        quantity: 10,
      })
      expect(moved.status).toBe(201)
      movementIds.push((moved.body as { id: number }).id)
      stockIds.push(results(await api.get(`/api/stocks?product=${product}`))[0]?.id as number)
    }
    const invoice = await api.post('/api/invoices', {
      shop_id: d.shops[0],
      type: 'sale',
      lines: [{ product_id: d.products[0], quantity: 1 }],
    })
    expect(invoice.status).toBe(201)
    reads = {
      productList: '/api/products?ordering=name',
      productX: `/api/products/${d.products[0]}`,
      productY: `/api/products/${d.products[1]}`,
      stockList: '/api/stocks?ordering=id',
      stockX: `/api/stocks/${stockIds[0]}`,
      stockY: `/api/stocks/${stockIds[1]}`,
      invoiceList: '/api/invoices?page_size=20',
      invoiceX: `/api/invoices/${(invoice.body as { id: number }).id}`,
      movementList: '/api/stock-movements?page_size=50',
      movementX: `/api/stock-movements/${movementIds[0]}`,
    }
  })

  /** Every watched read cached (responses are stored after they are sent: poll until HIT). */
  async function warm(): Promise<void> {
    for (const path of Object.values(reads)) {
      await expect
        .poll(async () => (await api.get(path)).headers.get('x-cache'), { timeout: 5000 })
        .toBe('HIT')
    }
  }

  /** Reads everything once after `write` and checks which reads were recomputed. */
  async function expectStale(write: () => Promise<{ status: number }>, stale: readonly ReadName[]) {
    await warm()
    const reply = await write()
    expect(reply.status).toBeLessThan(300)
    // What the database says: a new instance without response cache (new, so that on the memory
    // store no count it cached earlier is left over; on Redis it shares the stack's cache).
    const uncached = await stack.another({ cacheEnabled: false })
    const truth = client(() => uncached.url, api.key)
    for (const [name, path] of Object.entries(reads) as [ReadName, string][]) {
      const after = await api.get(path)
      const fresh = await truth.get(path)
      expect(after.headers.get('x-cache'), name).toBe(stale.includes(name) ? 'MISS' : 'HIT')
      expect(after.text, `${name} shows the database`).toBe(fresh.text)
    }
  }

  describe('narrow invalidation: each write makes exactly the responses it changes stale', () => {
    it("a price change: the product lists and that product's detail", async () => {
      await expectStale(() => api.patch(reads.productX, { sale_price: '77.70' }), ['productList', 'productX'])
      expect((await api.get(reads.productX)).body).toMatchObject({ sale_price: '77.70' })
    })

    it("a rename: the product's reads and the stock reads that show it (not product Y's stock)", async () => {
      await expectStale(
        () => api.patch(reads.productX, { name: 'N renamed' }),
        ['productList', 'productX', 'stockList', 'stockX'],
      )
    })

    it("a stock movement: the stock lists, that stock's detail and the movement lists, no product read", async () => {
      const movement = { product_id: d.products[0], warehouse_id: d.warehouses[0], type: 'out', quantity: 3 }
      await expectStale(
        () => api.post('/api/stock-movements', movement),
        ['stockList', 'stockX', 'movementList'],
      )
      expect((await api.get(reads.stockX)).body).toMatchObject({ quantity: 7 })
    })

    it('a stock movement keeps the stock count: it changes no list membership, whatever ordering cached it', async () => {
      // The cache's loads (`getOrSet` loaders run); the list's count is its only one here.
      const loads = async () => {
        const text = await (await fetch(`${stack.url}/metrics`)).text()
        return Number(/^hotpath_cache_loads_total\{[^}]*kind="loaded"\} (\d+)/m.exec(text)?.[1])
      }
      // Counted under the default ordering (-updated_at), which every movement changes.
      expect((await api.get('/api/stocks?page_size=1')).status).toBe(200)
      const movement = { product_id: d.products[1], warehouse_id: d.warehouses[0], type: 'in', quantity: 1 }
      expect((await api.post('/api/stock-movements', movement)).status).toBe(201)
      const before = await loads()
      const page = await api.get('/api/stocks?page_size=1&page=2')
      expect(page.headers.get('x-cache')).toBe('MISS')
      expect(await loads()).toBe(before)
    })

    it('a new product: the product lists only', async () => {
      const product = { name: 'N new', sku: 'N-NEW', sale_price: '1.00' }
      await expectStale(() => api.post('/api/products', product), ['productList'])
    })

    it('a new category: nothing (no product refers to it yet); a category rename: the product reads showing it', async () => {
      await expectStale(() => api.post('/api/categories', { name: 'N Spare' }), [])
      await expectStale(
        () => api.patch(`/api/categories/${d.categories[0]}`, { name: 'N Tools 2' }),
        ['productList', 'productX'],
      )
    })

    it('a warehouse rename: the stock reads showing it; no movement read (they show its id only), no product read', async () => {
      await expectStale(
        () => api.patch(`/api/warehouses/${d.warehouses[0]}`, { name: 'N North 2' }),
        ['stockList', 'stockX', 'stockY'],
      )
    })

    it('a new invoice: the invoice lists only', async () => {
      const draft = { shop_id: d.shops[1], type: 'sale', lines: [{ product_id: d.products[1], quantity: 2 }] }
      await expectStale(() => api.post('/api/invoices', draft), ['invoiceList'])
    })

    it('issuing an invoice: the invoice lists, its detail, the moved stock and the movement lists', async () => {
      const issued = ['invoiceList', 'invoiceX', 'stockList', 'stockX', 'movementList'] as const
      await expectStale(() => api.post(`${reads.invoiceX}/issue`, { warehouse_id: d.warehouses[0] }), issued)
      expect((await api.get(reads.invoiceX)).body).toMatchObject({ status: 'issued' })
      expect((await api.get(reads.stockX)).body).toMatchObject({ quantity: 6 })
      await expectStale(() => api.post(`${reads.invoiceX}/cancel`, {}), issued)
      expect((await api.get(reads.invoiceX)).body).toMatchObject({ status: 'cancelled' })
      expect((await api.get(reads.stockX)).body).toMatchObject({ quantity: 7 })
    })

    it('a shop rename: every invoice read (invoices show the shop name)', async () => {
      await expectStale(
        () => api.patch(`/api/shops/${d.shops[0]}`, { name: 'N Center 2' }),
        ['invoiceList', 'invoiceX'],
      )
    })

    it('a product deletion: the product lists and every stock and movement read', async () => {
      await expectStale(
        () => api.del(`/api/products/${d.products[3]}`),
        ['productList', 'stockList', 'stockX', 'stockY', 'movementList', 'movementX'],
      )
    })
  })

  describe('range-precise invalidation: a price change drops the price-ordered pages it crosses', () => {
    let r: Client
    let products: number[]
    /** Pages of three by price: 10.50–12.50, 13.50–15.50, 16.50–18.50, 19.50–21.50. */
    const page = (n: number) => `/api/products?ordering=sale_price&page_size=3&page=${n}`

    beforeAll(async () => {
      const company = await newCompany(() => stack.url, 'Ranged')
      r = company.api
      products = (await populate(r, 'R', 12)).products
    })

    async function expectPages(write: () => Promise<{ status: number }>, stale: readonly number[]) {
      for (const n of [1, 2, 3, 4])
        await expect
          .poll(async () => (await r.get(page(n))).headers.get('x-cache'), { timeout: 5000 })
          .toBe('HIT')
      expect((await write()).status).toBe(200)
      const uncached = await stack.another({ cacheEnabled: false })
      const truth = client(() => uncached.url, r.key)
      for (const n of [1, 2, 3, 4]) {
        const after = await r.get(page(n))
        expect(after.headers.get('x-cache'), `page ${n}`).toBe(stale.includes(n) ? 'MISS' : 'HIT')
        // The pages link to each other through their own instance's origin.
        const body = (text: string) => text.replaceAll(/http:\/\/[^/"]+/g, '')
        expect(body(after.text), `page ${n} shows the database`).toBe(body((await truth.get(page(n))).text))
      }
    }

    it('a move within the last page drops that page only', async () => {
      await expectPages(() => r.patch(`/api/products/${products[10]}`, { sale_price: '21.00' }), [4])
    })

    it('a move from the first page to the third drops the pages in between, not the last', async () => {
      await expectPages(() => r.patch(`/api/products/${products[1]}`, { sale_price: '17.00' }), [1, 2, 3])
    })
  })
}
