import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { STORE_COLUMN_LIMITS } from '@hotpath/schema'
import express from 'express'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { hashApiKey, mintApiKey } from '../../src/http/api-keys.js'
import { idempotency, purgeExpiredIdempotencyKeys } from '../../src/http/idempotency.js'
import { MAX_BODY_DEPTH } from '../../src/http/json-body.js'
import { type Client, call, newCompany, type Reply, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import type { Stack } from './stack.js'

type Row = Record<string, unknown>
const INT_MAX = STORE_COLUMN_LIMITS.integerMax

function code(r: Reply): unknown {
  return (r.body as { error?: { code?: unknown } } | undefined)?.error?.code
}

/** POSTs raw bytes with a Content-Encoding (the shared client sends text only). */
function sendBytes(
  url: string,
  key: string,
  body: Buffer,
  encoding: string,
): Promise<{ status: number; code: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: unknown } }
          resolve({ status: res.statusCode ?? 0, code: parsed.error?.code })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Listens on `app` (an Express handler) on a free port; closed after the file. */
async function listen(handler: express.Express, closers: (() => Promise<void>)[]): Promise<string> {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Issue 15's hostile clients against the store API: every item that a client can trigger. */
export function hostileSuite(stack: Stack): void {
  const base = () => stack.url
  const closers: (() => Promise<void>)[] = []
  let c: { id: number; api: Client }
  let other: { id: number; api: Client }
  let d: CompanyData

  beforeAll(async () => {
    c = await newCompany(base, 'Hostileco')
    other = await newCompany(base, 'Bystanderco')
    d = await populate(c.api, 'H', 3)
  })
  afterAll(async () => {
    for (const close of closers.reverse()) await close()
  })

  async function cacheKeyCount(): Promise<number | undefined> {
    if (!stack.redis) return undefined
    return (await stack.redis.client.keys(`${stack.cachePrefix}*`)).length
  }

  describe('hostile clients (issue 15)', () => {
    it('random bearer keys are 401 and write nothing into the shared cache', async () => {
      expect((await c.api.get('/api/categories')).status).toBe(200)
      const before = await cacheKeyCount()
      const keys = Array.from({ length: 30 }, () => mintApiKey().key)
      for (const key of [...keys, ...keys]) {
        const r = await call(base(), '/api/categories', { key })
        expect(r.status).toBe(401)
      }
      expect(await cacheKeyCount()).toBe(before)
      for (const key of keys) expect(await stack.cache.getEntry(`auth:${hashApiKey(key)}`)).toBeUndefined()
      expect((await c.api.get('/api/categories')).status).toBe(200)
    })

    it('a deep body: 401 before parsing without a key, 400 body_too_deep with one, idempotent or not', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
      const anonymous = await call(base(), '/api/products', { method: 'POST', raw: deep })
      expect(anonymous.status).toBe(401)
      for (const headers of [{}, { 'idempotency-key': 'deep-1' }]) {
        const r = await call(base(), '/api/products', { method: 'POST', raw: deep, key: c.api.key, headers })
        expect([r.status, code(r)]).toEqual([400, 'body_too_deep'])
      }
      const atLimit = `${'['.repeat(MAX_BODY_DEPTH)}${']'.repeat(MAX_BODY_DEPTH)}`
      const shallow = await call(base(), '/api/products', { method: 'POST', raw: atLimit, key: c.api.key })
      expect(shallow.status).toBe(422)
      // Brackets inside strings are text, not nesting.
      const name = '['.repeat(200)
      const inString = await c.api.post('/api/products', { name, sku: 'deep-str', sale_price: '1.00' })
      expect(inString.status).toBe(201)
    })

    it('a bad Content-Encoding answers the contract’s codes, never a library’s', async () => {
      const json = JSON.stringify({ name: 'Gz', sku: 'gz-1', sale_price: '1.00' })
      const post = (body: Buffer, encoding: string) =>
        sendBytes(`${base()}/api/products`, c.api.key, body, encoding)
      const corrupt = await post(Buffer.from('not gzip at all'), 'gzip')
      expect([corrupt.status, corrupt.code]).toEqual([400, 'invalid_body'])
      const truncated = await post(gzipSync(json).subarray(0, 12), 'gzip')
      expect([truncated.status, truncated.code]).toEqual([400, 'invalid_body'])
      const unknown = await post(Buffer.from(json), 'compress')
      expect([unknown.status, unknown.code]).toEqual([415, 'unsupported_encoding'])
      expect((await post(gzipSync(json), 'gzip')).status).toBe(201)
    })

    it('values past the columns are refused (422/409), never a 500 or a wrong total', async () => {
      const [p, w] = [d.products[0] as number, d.warehouses[0] as number]
      const line = (unit_price: string, quantity: number) => ({
        shop_id: d.shops[0],
        type: 'sale',
        lines: [{ product_id: p, quantity, unit_price }],
      })
      const tooBig = await c.api.post('/api/invoices', line('9999999999.99', 1_000_000))
      expect([tooBig.status, code(tooBig)]).toEqual([422, 'validation_failed'])
      const edge = await c.api.post('/api/invoices', line('9999999999.99', 100))
      expect(edge.status).toBe(201)
      expect((edge.body as Row).total).toBe('999999999999.00')
      expect(
        (await c.api.post('/api/products', { name: 'X', sku: 'big', sale_price: '12345678901' })).status,
      ).toBe(422)
      const move = (type: string, quantity: number, product = p) =>
        c.api.post('/api/stock-movements', { product_id: product, warehouse_id: w, type, quantity })
      expect((await move('in', INT_MAX + 1)).status).toBe(422)
      expect((await move('in', 1, INT_MAX + 1)).status).toBe(422)
      expect((await move('in', INT_MAX)).status).toBe(201)
      const over = await move('in', 1)
      expect([over.status, code(over)]).toEqual([409, 'stock_limit_exceeded'])
      expect((await move('adjust', 1)).status).toBe(409)
      const stock = results(await c.api.get(`/api/stocks?product=${p}&warehouse=${w}`))
      expect(stock[0]?.quantity).toBe(INT_MAX)
      expect((await move('out', INT_MAX)).status).toBe(201)
      expect((await c.api.get(`/api/products/${INT_MAX + 1}`)).status).toBe(404)
      expect((await c.api.get('/api/products?category=99999999999')).status).toBe(400)
    })

    it('cancel reverses exactly the movements its issue wrote; a draft moves nothing', async () => {
      const [p, w] = [d.products[1] as number, d.warehouses[1] as number]
      const move = (type: string, quantity: number, reason?: string) =>
        c.api.post('/api/stock-movements', { product_id: p, warehouse_id: w, type, quantity, reason })
      expect((await move('in', 10)).status).toBe(201)
      const invoice = async () =>
        (
          (
            await c.api.post('/api/invoices', {
              shop_id: d.shops[0],
              type: 'sale',
              lines: [{ product_id: p, quantity: 7 }],
            })
          ).body as Row
        ).id as number
      const draft = await invoice()
      // A client forges the reason the issue would write.
      expect((await move('in', 3, `invoice:${draft}`)).status).toBe(201)
      const movements = async () => (await stack.db('stock_movements').where({ product_id: p })).length
      const count = await movements()
      expect((await c.api.post(`/api/invoices/${draft}/cancel`, {})).body).toMatchObject({
        status: 'cancelled',
      })
      expect(await movements()).toBe(count)
      const qty = async () => results(await c.api.get(`/api/stocks?product=${p}&warehouse=${w}`))[0]?.quantity
      expect(await qty()).toBe(13)

      const issued = await invoice()
      expect((await move('in', 2, `invoice:${issued}`)).status).toBe(201)
      expect((await c.api.post(`/api/invoices/${issued}/issue`, { warehouse_id: w })).status).toBe(200)
      expect(await qty()).toBe(8)
      expect((await c.api.post(`/api/invoices/${issued}/cancel`, {})).status).toBe(200)
      expect(await qty()).toBe(15)
      const linked = (await stack.db('stock_movements').where({ invoice_id: issued }).orderBy('id')) as Row[]
      expect(linked.map((m) => [m.type, Number(m.quantity)])).toEqual([
        ['out', 7],
        ['in', 7],
      ])
    })

    it('idempotency keys compare exactly; SKUs are exact (case and accents count) on every database', async () => {
      const body = (name: string) => ({ name })
      const first = await c.api.post('/api/categories', body('Key case A'), { 'idempotency-key': 'Order-1' })
      const second = await c.api.post('/api/categories', body('Key case B'), { 'idempotency-key': 'order-1' })
      expect([first.status, second.status]).toEqual([201, 201])
      expect(second.headers.get('idempotent-replayed')).toBeNull()
      expect((second.body as Row).id).not.toBe((first.body as Row).id)
      const sku = (s: string) => c.api.post('/api/products', { name: `sku ${s}`, sku: s, sale_price: '1.00' })
      expect((await sku('ABC-é')).status).toBe(201)
      expect((await sku('abc-é')).status).toBe(201)
      expect((await sku('ABC-e')).status).toBe(201)
      expect((await sku('ABC-é')).status).toBe(409)
    })

    it('every answer is kept (json, send, end), a key left locked by a dead request is freed, old keys are purged', async () => {
      const app = express()
      let runs = 0
      app.use((req, _res, next) => {
        req.auth = { companyId: c.id, apiKeyId: 0 }
        next()
      })
      app.use(express.json())
      app.post('/send', idempotency(stack.db), (_req, res) => {
        runs++
        res.status(201).type('application/json').send('{"via":"send"}')
      })
      app.post('/end', idempotency(stack.db), (_req, res) => {
        runs++
        res.statusCode = 202
        res.setHeader('content-type', 'application/json')
        res.write('{"via":')
        res.end('"end"}')
      })
      app.post('/boom', idempotency(stack.db), () => {
        runs++
        throw new Error('handler failed')
      })
      app.use(((_e, _req, res, _next) => {
        res.status(500).json({ error: { code: 'internal_error' } })
      }) as express.ErrorRequestHandler)
      const url = await listen(app, closers)
      for (const [path, status, via] of [
        ['/send', 201, 'send'],
        ['/end', 202, 'end'],
      ] as const) {
        const headers = { 'idempotency-key': `raw-${path}` }
        const a = await call(url, path, { method: 'POST', body: {}, headers })
        const b = await call(url, path, { method: 'POST', body: {}, headers })
        expect([a.status, b.status]).toEqual([status, status])
        expect(b.body).toEqual({ via })
        expect(b.headers.get('idempotent-replayed')).toBe('true')
      }
      expect(runs).toBe(2)
      const boom = { 'idempotency-key': 'raw-boom' }
      expect((await call(url, '/boom', { method: 'POST', body: {}, headers: boom })).status).toBe(500)
      expect((await call(url, '/boom', { method: 'POST', body: {}, headers: boom })).status).toBe(500)
      expect(runs).toBe(4)

      // A request that never answered: its process died two minutes ago with the key locked.
      const row = (key: string, createdAt: Date, status: number | null) => ({
        company_id: c.id,
        idempotency_key: key,
        method: 'POST',
        path: '/api/categories',
        request_hash: 'x',
        status_code: status,
        created_at: createdAt,
      })
      await stack
        .db('idempotency_keys')
        .insert([
          row('dead-1', new Date(Date.now() - 120_000), null),
          row('live-1', new Date(), null),
          row('old-1', new Date(Date.now() - 25 * 3600_000), 201),
        ])
      const dead = await c.api.post(
        '/api/categories',
        { name: 'after a crash' },
        { 'idempotency-key': 'dead-1' },
      )
      expect(dead.status).toBe(201)
      const live = await c.api.post('/api/categories', { name: 'in flight' }, { 'idempotency-key': 'live-1' })
      expect([live.status, code(live)]).toEqual([409, 'idempotency_key_in_use'])
      await purgeExpiredIdempotencyKeys(stack.db)
      const left = await stack.db('idempotency_keys').where({ company_id: c.id }).pluck('idempotency_key')
      expect(left).not.toContain('old-1')
      expect(left).toEqual(expect.arrayContaining(['dead-1', 'live-1', 'Order-1', 'order-1']))
    })

    it('X-Request-Id: a sane one is echoed and logged, anything else replaced; security headers on cache hits', async () => {
      const sane = `req-${Math.random().toString(36).slice(2)}`
      const a = await c.api.get('/api/products?page_size=2', { 'x-request-id': sane })
      expect(a.headers.get('x-request-id')).toBe(sane)
      expect(stack.logLines.some((l) => l.includes(sane))).toBe(true)
      for (const bad of ['has space', 'x'.repeat(129), '<script>', '']) {
        const r = await call(base(), '/health', { headers: { 'x-request-id': bad } })
        expect(r.headers.get('x-request-id')).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        )
      }
      const hit = await c.api.get('/api/products?page_size=2', { 'x-request-id': 'second-read' })
      expect(hit.headers.get('x-cache')).toBe('HIT')
      expect(hit.headers.get('x-request-id')).toBe('second-read')
      expect(hit.headers.get('x-content-type-options')).toBe('nosniff')
      expect(hit.headers.get('x-frame-options')).toBe('SAMEORIGIN')
      expect(hit.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('rate limit per API key: 429 with Retry-After and RateLimit headers; another company is untouched', async () => {
      const redis = stack.redis?.connect({ enableOfflineQueue: false, maxRetriesPerRequest: 1 })
      closers.push(async () => {
        await redis?.quit()
      })
      if (redis && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))
      const app = createApp(
        { ...stack.deps, registry: new Registry() },
        {
          rateLimit: { perMinute: 3, ...(redis ? { redis } : {}), prefix: `${stack.cachePrefix}-${c.id}` },
          corsOrigins: ['https://app.example.test'],
        },
      )
      const url = await listen(app, closers)
      const get = (key: string) => call(url, '/api/shops', { key })
      const statuses = [] as number[]
      for (let i = 0; i < 3; i++) statuses.push((await get(c.api.key)).status)
      const limited = await get(c.api.key)
      expect([...statuses, limited.status]).toEqual([200, 200, 200, 429])
      expect(code(limited)).toBe('rate_limited')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(limited.headers.get('ratelimit')).toMatch(/; r=0;/)
      expect(limited.headers.get('ratelimit-policy')).toMatch(/q=3/)
      expect((await get(other.api.key)).status).toBe(200)
      expect((await call(url, '/api/shops', { key: mintApiKey().key })).status).toBe(401)

      const preflight = (origin: string) =>
        call(url, '/api/shops', {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        })
      const allowed = await preflight('https://app.example.test')
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test')
      expect(
        (await preflight('https://evil.example.test')).headers.get('access-control-allow-origin'),
      ).toBeNull()

      app.locals.draining = true
      const draining = await call(url, '/ready')
      expect([draining.status, (draining.body as Row).status]).toEqual([503, 'draining'])
    })
  })
}
