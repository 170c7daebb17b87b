import { beforeAll, describe, expect, it } from 'vitest'
import type { RouteSpec } from '../../src/api/route-spec.js'
import { type Client, call, newCompany, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import type { Stack } from './stack.js'

interface Layer {
  route?: { path: string; methods: Record<string, boolean> }
}

type OpenApi = { openapi: string; paths: Record<string, Record<string, { operationId: string }>> }

/** Query counts per list, the OpenAPI document against the router, operations endpoints and logs. */
export function opsSuite(stack: Stack): void {
  const base = () => stack.url
  let c: { id: number; api: Client }
  let d: CompanyData

  beforeAll(async () => {
    c = await newCompany(base, 'Opsco')
    d = await populate(c.api, 'O', 30)
    for (const [i, p] of d.products.entries()) {
      await c.api.post('/api/stock-movements', {
        product_id: p,
        warehouse_id: d.warehouses[i % 2],
        type: 'in',
        quantity: 5,
      })
    }
    for (let i = 0; i < 25; i++) {
      await c.api.post('/api/invoices', {
        shop_id: d.shops[i % 2],
        type: 'sale',
        lines: [
          { product_id: d.products[i], quantity: 1 },
          { product_id: d.products[i + 1], quantity: 2 },
        ],
      })
    }
  })

  describe('queries per list request', () => {
    /** Queries one uncached list request costs (response cache and cached counts dropped first). */
    async function cost(path: string): Promise<number> {
      await stack.cache.invalidateTags(
        ['products', 'stocks', 'invoices', 'stock-movements'].map((r) => `${r}:${c.id}`),
      )
      stack.resetQueries()
      const r = await c.api.get(path)
      expect(r.status, path).toBe(200)
      expect(r.headers.get('x-cache') ?? 'MISS', path).toBe('MISS')
      return stack.queries.length
    }

    it('is the same for 2 rows as for 25: names joined, invoice lines batch-loaded', async () => {
      await c.api.get('/api/shops') // the key's company is now in the auth cache
      for (const list of ['/api/products', '/api/stocks', '/api/invoices', '/api/stock-movements']) {
        const small = await cost(`${list}?page_size=2`)
        const large = await cost(`${list}?page_size=25`)
        expect(large, list).toBe(small)
        expect(small, list).toBeLessThanOrEqual(4)
      }
      const page = results(await c.api.get('/api/invoices?page_size=25'))
      expect(page).toHaveLength(25)
      for (const inv of page) expect((inv.lines as unknown[]).length).toBe(2)
    })
  })

  describe('OpenAPI', () => {
    it('documents exactly the routes the router registers, and /docs renders every operation', async () => {
      const r = await call(base(), '/api/docs')
      expect(r.status).toBe(200)
      const doc = r.body as OpenApi
      expect(doc.openapi).toBe('3.1.0')
      const documented = Object.entries(doc.paths)
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
        .sort()
      // What Express really registered (its router's layers), compared with the document.
      const layers = (stack.app as unknown as { router: { stack: Layer[] } }).router.stack
      const registered = layers
        .flatMap((l) =>
          l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route?.path}`) : [],
        )
        .map((r) => r.replace(/:(\w+)/g, '{$1}'))
        .sort()
      expect(documented).toEqual(registered)
      const table = stack.app.locals.routes as RouteSpec[]
      for (const t of table) {
        const path = t.path.replace(/:(\w+)/g, '1')
        const res = await call(base(), path, {
          method: t.method.toUpperCase(),
          key: c.api.key,
          ...(t.method === 'get' ? {} : { body: {} }),
        })
        expect(
          (res.body as { error?: { code?: string } } | undefined)?.error?.code,
          `${t.method} ${t.path}`,
        ).not.toBe('route_not_found')
      }
      for (const contract of [
        'GET /api/products',
        'GET /api/products/{id}',
        'POST /api/products',
        'PATCH /api/products/{id}',
        'DELETE /api/products/{id}',
        'GET /api/stocks',
        'POST /api/stock-movements',
        'GET /api/stock-movements',
        'POST /api/invoices',
        'POST /api/invoices/{id}/issue',
        'POST /api/invoices/{id}/cancel',
        'POST /api/admin/companies',
        'GET /health',
        'GET /ready',
        'GET /metrics',
        'GET /api/docs',
        'GET /docs',
      ]) {
        expect(documented).toContain(contract)
      }
      const html = await call(base(), '/docs')
      expect(html.headers.get('content-type')).toMatch(/text\/html/)
      expect(html.text).not.toMatch(/<script|https?:\/\/cdn/i)
      for (const methods of Object.values(doc.paths)) {
        for (const op of Object.values(methods)) expect(html.text).toContain(`id="${op.operationId}"`)
      }
    })
  })

  describe('operations', () => {
    it('/health, /ready and /metrics', async () => {
      expect((await call(base(), '/health')).body).toEqual({ status: 'ok' })
      const ready = await call(base(), '/ready')
      expect(ready.status).toBe(200)
      expect(ready.body).toEqual({ status: 'ready', database: 'up', cache: 'up' })
      await c.api.get('/api/products')
      await c.api.get('/api/products')
      const m = await call(base(), '/metrics')
      expect(m.headers.get('content-type')).toMatch(/text\/plain/)
      expect(m.text).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="\/api\/products",status="200"\} \d+/,
      )
      expect(m.text).toMatch(/db_pool_connections\{state="max"\} \d+/)
      expect(m.text).toMatch(/hit/i)
      expect(m.text).not.toContain(`/api/products/${d.products[0]}`)
    })

    it('logs one line per request at info: method, url, route, status, duration, request id; no header', async () => {
      const before = stack.logLines.length
      await c.api.get('/api/categories?marker=log-test')
      await c.api.get('/api/categories/999999999?marker=log-test-404')
      const lines = stack.logLines.slice(before).filter((l) => l.includes('marker=log-test'))
      expect(lines).toHaveLength(2)
      const [ok, missing] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(ok).toMatchObject({
        level: 30,
        msg: 'request completed',
        method: 'GET',
        url: '/api/categories?marker=log-test',
        route: '/api/categories',
        status: 200,
      })
      expect(missing).toMatchObject({ level: 30, route: '/api/categories/:id', status: 404 })
      for (const entry of [ok, missing]) {
        expect(typeof entry?.ms).toBe('number')
        expect(['number', 'string']).toContain(typeof entry?.reqId)
      }
      expect(ok?.reqId).not.toBe(missing?.reqId)
      expect(lines.join('\n')).not.toContain(c.api.key)
    })
  })
}
