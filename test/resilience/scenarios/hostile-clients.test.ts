import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CaseOutcome, reportCases } from '../support/case-table.js'
import { bodyOf, type HttpResponse, send, xCache } from '../support/http-client.js'
import { useStack } from '../support/stack.js'
import { ADMIN_TOKEN, refusedStart } from '../support/store-process.js'

// Requests per minute per API key; tenant `c` spends it, `a` and `b` stay far below.
const RATE_LIMIT = 40
const HEADERS_TIMEOUT_MS = 1000
const stack = useStack({
  redis: {},
  tenants: 3,
  products: 2,
  vars: {
    RATE_LIMIT: String(RATE_LIMIT),
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    REQUEST_TIMEOUT_MS: '5000',
  },
})
let redis: Redis

beforeAll(() => {
  redis = new Redis(stack.redis?.url ?? '', { maxRetriesPerRequest: 1 })
})
// `redis` is unset when the stack failed to start: this hook must not throw then.
afterAll(() => {
  if (redis) redis.disconnect()
})

type Row = Record<string, unknown>
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Sends `head` (an unfinished request head) and resolves the status line the server answers, or 0. */
function slowHeaders(origin: string, head: string): Promise<number> {
  const url = new URL(origin)
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(0)
    }, 10_000)
    socket.on('data', (c: Buffer) => {
      text += c.toString()
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0))
    })
    socket.on('error', () => undefined)
    socket.write(head)
  })
}

it('hostile clients: junk keys, forged reasons, case-twin keys, floods, header games, slow headers', async () => {
  const [a, b, c] = stack.tenants
  if (!a || !b || !c) throw new Error('three tenants expected')
  const cases: CaseOutcome[] = []
  let requests = 0
  const api = async (req: Parameters<typeof send>[1]): Promise<HttpResponse> => {
    requests++
    return send(stack.origin, req)
  }
  const [p] = a.products
  if (!p) throw new Error('a product expected')

  // 4. Unknown bearer keys write nothing into the shared cache.
  const keysBefore = new Set(await redis.keys('*'))
  const junk: number[] = []
  for (let i = 0; i < 50; i++) {
    const key = `sk_${randomBytes(32).toString('base64url')}`
    junk.push((await api({ path: '/api/products', headers: { authorization: `Bearer ${key}` } })).status)
  }
  // New keys only: an entry expiring meanwhile is no write.
  const added = (await redis.keys('*')).filter((k) => !keysBefore.has(k))
  cases.push({
    name: '50 unknown bearer keys',
    expected: '401',
    status: junk.find((s) => s !== 401) ?? 401,
    ...(added.length
      ? { problem: `${added.length} Redis keys written (${added.slice(0, 3).join(', ')})` }
      : {}),
  })

  // 7. Cancelling reverses only what the issue wrote, found by id, not by the client's `reason`.
  const stockOf = async () =>
    Number(
      (
        (await stack
          .db('stocks')
          .where({ product_id: p.id, warehouse_id: a.warehouseId })
          .first('quantity')) as Row | undefined
      )?.quantity ?? 0,
    )
  const movementsOf = async () => (await stack.db('stock_movements').where({ product_id: p.id })).length
  await api({
    method: 'POST',
    path: '/api/stock-movements',
    headers: a.auth,
    json: { product_id: p.id, warehouse_id: a.warehouseId, type: 'in', quantity: 10 },
  })
  const saleOf = async (quantity: number) =>
    bodyOf(
      await api({
        method: 'POST',
        path: '/api/invoices',
        headers: a.auth,
        json: { shop_id: a.shopId, type: 'sale', lines: [{ product_id: p.id, quantity }] },
      }),
    ) as Row
  const draft = await saleOf(7)
  await api({
    method: 'POST',
    path: '/api/stock-movements',
    headers: a.auth,
    json: {
      product_id: p.id,
      warehouse_id: a.warehouseId,
      type: 'in',
      quantity: 3,
      reason: `invoice:${draft.id}`,
    },
  })
  const [stock0, moves0] = [await stockOf(), await movementsOf()]
  const cancelDraft = await api({
    method: 'POST',
    path: `/api/invoices/${draft.id}/cancel`,
    headers: a.auth,
    json: {},
  })
  const [stock1, moves1] = [await stockOf(), await movementsOf()]
  cases.push({
    name: 'cancel a draft whose id a movement reason forges',
    expected: '200',
    status: cancelDraft.status,
    ...(stock1 !== stock0 || moves1 !== moves0
      ? { problem: `stock ${stock0} → ${stock1}, movements ${moves0} → ${moves1}` }
      : {}),
  })
  const sale = await saleOf(4)
  await api({
    method: 'POST',
    path: `/api/invoices/${sale.id}/issue`,
    headers: a.auth,
    json: { warehouse_id: a.warehouseId },
  })
  const cancelIssued = await api({
    method: 'POST',
    path: `/api/invoices/${sale.id}/cancel`,
    headers: a.auth,
    json: {},
  })
  const stock2 = await stockOf()
  cases.push({
    name: 'cancel an issued invoice',
    expected: '200',
    status: cancelIssued.status,
    ...(stock2 !== stock1 ? { problem: `stock ${stock1} → ${stock2} (must be back where it was)` } : {}),
  })

  // 8. Keys and SKUs compare exactly on MariaDB too.
  const twins: HttpResponse[] = []
  for (const [key, name] of [
    ['Order-77', 'twin upper'],
    ['order-77', 'twin lower'],
  ] as const) {
    twins.push(
      await api({
        method: 'POST',
        path: '/api/categories',
        headers: { ...a.auth, 'idempotency-key': key },
        json: { name },
      }),
    )
  }
  const twin = twins[1]
  cases.push({
    name: 'Idempotency-Key differing only in case',
    expected: '201',
    status: twin?.status ?? 0,
    ...(twin?.headers['idempotent-replayed'] ? { problem: 'answered with the other key’s replay' } : {}),
  })
  const skus: number[] = []
  for (const sku of ['Case-Sku', 'case-sku', 'Câse-Sku']) {
    skus.push(
      (
        await api({
          method: 'POST',
          path: '/api/products',
          headers: a.auth,
          json: { name: sku, sku, sale_price: '1.00' },
        })
      ).status,
    )
  }
  cases.push({
    name: 'SKUs differing only in case or accent',
    expected: '201',
    status: skus.find((s) => s !== 201) ?? 201,
  })

  // 10. Per-key rate limit: tenant c floods, tenant b is untouched.
  let limited: HttpResponse | undefined
  for (let i = 0; i < RATE_LIMIT + 1 && !limited; i++) {
    const r = await api({ path: '/api/shops', headers: c.auth })
    if (r.status === 429) limited = r
  }
  const headersOk =
    limited &&
    Number(limited.headers['retry-after']) > 0 &&
    /r=0/.test(String(limited.headers.ratelimit ?? ''))
  cases.push({
    name: `${RATE_LIMIT + 1} requests of one key in a minute`,
    expected: '429',
    status: limited?.status ?? 200,
    ...(limited && !headersOk ? { problem: 'no Retry-After or RateLimit header' } : {}),
  })
  cases.push({
    name: 'another company meanwhile',
    expected: '200',
    status: (await api({ path: '/api/shops', headers: b.auth })).status,
  })

  // Security headers and the request id on a cache hit, no CORS by default.
  await api({ path: '/api/products?page_size=1', headers: b.auth })
  const hit = await api({
    path: '/api/products?page_size=1',
    headers: { ...b.auth, 'x-request-id': 'trace-42' },
  })
  const missing = [
    xCache(hit) === 'HIT' ? '' : `X-Cache ${xCache(hit)}`,
    hit.headers['x-content-type-options'] === 'nosniff' ? '' : 'nosniff',
    hit.headers['x-frame-options'] ? '' : 'X-Frame-Options',
    hit.headers['x-request-id'] === 'trace-42' ? '' : `X-Request-Id ${String(hit.headers['x-request-id'])}`,
  ].filter(Boolean)
  cases.push({
    name: 'security headers and X-Request-Id on a cache HIT',
    expected: '200',
    status: hit.status,
    ...(missing.length ? { problem: `missing ${missing.join(', ')}` } : {}),
  })
  const insane = await api({ path: '/health', headers: { 'x-request-id': `${'x'.repeat(300)}<script>` } })
  cases.push({
    name: 'X-Request-Id of 300 characters and markup',
    expected: '200',
    status: insane.status,
    ...(UUID.test(String(insane.headers['x-request-id']))
      ? {}
      : { problem: 'not replaced by a generated id' }),
  })
  const preflight = await api({
    method: 'OPTIONS',
    path: '/api/products',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
  })
  cases.push({
    name: 'CORS preflight (CORS_ORIGINS unset)',
    expected: '200|204|404',
    status: preflight.status,
    ...(preflight.headers['access-control-allow-origin']
      ? { problem: 'Access-Control-Allow-Origin sent' }
      : {}),
  })

  // Admin token: a wrong one is never echoed; one with whitespace is refused at startup.
  const wrong = 'Wrong-Admin-Token-0123456789'
  const adminRes = await api({
    method: 'POST',
    path: '/api/admin/companies',
    headers: { authorization: `Bearer ${wrong}` },
    json: { name: 'x', email: 'x@x.test' },
  })
  cases.push({
    name: 'admin route with a wrong token',
    expected: '401',
    status: adminRes.status,
    ...(adminRes.text.includes(wrong) ? { problem: 'the token is echoed' } : {}),
  })
  const spaced = `${ADMIN_TOKEN} with spaces`
  const start = await refusedStart(stack.env, { ADMIN_TOKEN: spaced })
  cases.push({
    name: 'ADMIN_TOKEN with whitespace at startup (exit code)',
    expected: '1',
    status: start.code ?? -1,
    ...(start.output.includes(spaced) || !/ADMIN_TOKEN: must not contain whitespace/.test(start.output)
      ? { problem: `output: ${start.output.slice(0, 200)}` }
      : {}),
  })

  // Slow headers (slowloris): cut off after HEADERS_TIMEOUT_MS, not Node's 60 s.
  requests++
  cases.push({
    name: 'request head never finished (slowloris)',
    expected: '408',
    status: await slowHeaders(stack.origin, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: '),
  })

  const verdict = reportCases({
    id: 'hostile-clients',
    title:
      'Hostile clients: unknown keys, forged movement reasons, case-twin idempotency keys and SKUs, per-key flood, header games, admin token, slowloris',
    cases,
    requests,
    written: null,
  })
  expect(verdict.actual).toEqual(verdict.expected)
})
