import { gzipSync } from 'node:zlib'
import { expect, it } from 'vitest'
import { type CaseOutcome, reportCases } from '../support/case-table.js'
import { bodyOf, type HttpRequest, send } from '../support/http-client.js'
import { censusChanges, rowCensus } from '../support/row-census.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, tenants: 2, products: 5 })

it('malformed, oversized, mistyped and prototype-polluting bodies and queries: 4xx, nothing written', async () => {
  const [a, b] = stack.tenants
  if (!a || !b) throw new Error('two tenants expected')
  const pid = a.products[0]!.id
  const product = { name: 'Attack product', sku: 'atk-1', sale_price: '1.00' }
  const move = { product_id: pid, warehouse_id: a.warehouseId, type: 'in', quantity: 1 }
  const post = (path: string, json: unknown): HttpRequest => ({ method: 'POST', path, json })
  const patch = (json: unknown): HttpRequest => ({ method: 'PATCH', path: `/api/products/${pid}`, json })
  const rawPost = (path: string, body: Buffer): HttpRequest => ({ method: 'POST', path, body })
  const deep: HttpRequest = {
    method: 'POST',
    path: '/api/products',
    body: `${'['.repeat(300_000)}${']'.repeat(300_000)}`,
    headers: { 'content-type': 'application/json' },
  }
  const bigInvoice = {
    shop_id: a.shopId,
    type: 'sale',
    lines: Array.from({ length: 5 }, () => ({
      product_id: pid,
      quantity: 1_000_000,
      unit_price: '9999999999.99',
    })),
  }
  const table: [string, HttpRequest, string][] = [
    [
      'malformed JSON',
      {
        method: 'POST',
        path: '/api/products',
        body: '{"name": "x", ',
        headers: { 'content-type': 'application/json' },
      },
      '400',
    ],
    [
      'JSON with a trailing comma',
      {
        method: 'POST',
        path: '/api/products',
        body: '{"name":"x",}',
        headers: { 'content-type': 'application/json' },
      },
      '400',
    ],
    ['2 MiB body', post('/api/products', { ...product, name: 'x'.repeat(2 << 20) }), '413'],
    ['name is a number', post('/api/products', { ...product, name: 123 }), '422'],
    ['sale_price is an object', post('/api/products', { ...product, sale_price: {} }), '422'],
    ['sale_price negative', post('/api/products', { ...product, sale_price: '-1.00' }), '422'],
    ['category_id is SQL', post('/api/products', { ...product, category_id: '1 or 1=1' }), '422'],
    [
      "category_id is another company's",
      post('/api/products', { ...product, category_id: b.categoryId }),
      '422',
    ],
    ['is_active is a string', post('/api/products', { ...product, is_active: 'yes' }), '422'],
    ['body is an array', post('/api/products', [product]), '400|422'],
    [
      '__proto__ key',
      {
        method: 'POST',
        path: '/api/products',
        body: '{"name":"p","sku":"atk-2","sale_price":"1.00","__proto__":{"is_active":false,"admin":true}}',
        headers: { 'content-type': 'application/json' },
      },
      '422',
    ],
    [
      'constructor.prototype key',
      post('/api/products', { ...product, constructor: { prototype: { admin: true } } }),
      '422',
    ],
    ['PATCH name is an object (knex CVE-2016-20018 shape)', patch({ name: { $ne: null } }), '422'],
    ['PATCH id in the body', patch({ id: 999 }), '422'],
    ['PATCH company_id in the body', patch({ company_id: b.companyId }), '422'],
    [
      'movement product_id is an object',
      post('/api/stock-movements', { ...move, product_id: { gt: 0 } }),
      '422',
    ],
    [
      'movement product_id is an array',
      post('/api/stock-movements', { ...move, product_id: [pid, pid] }),
      '422',
    ],
    ['movement quantity is a float', post('/api/stock-movements', { ...move, quantity: 1.5 }), '422'],
    ['movement quantity huge', post('/api/stock-movements', { ...move, quantity: 1e300 }), '422'],
    [
      "movement on another company's product",
      post('/api/stock-movements', { ...move, product_id: b.products[0]!.id }),
      '422',
    ],
    ['query filter repeated (array)', { path: '/api/products?category=1&category=2' }, '400'],
    ['query filter with brackets', { path: '/api/products?category[$ne]=0' }, '200|400'],
    ['query id as array', { path: '/api/products?supplier[]=1' }, '200|400'],
    [
      'query min_price is SQL',
      { path: `/api/products?min_price=${encodeURIComponent("0' or '1'='1")}` },
      '400',
    ],
    ['query is_active not a boolean', { path: '/api/products?is_active=maybe' }, '400'],
    // Issue 15: bodies read only after authentication, nesting bounded, compression errors in the
    // contract's codes, and values past the schema's columns refused before the database sees them.
    [
      '300,000-deep body without a key',
      { ...deep, headers: { ...deep.headers, authorization: 'Bearer sk_unknown' } },
      '401',
    ],
    ['300,000-deep body', deep, '400'],
    [
      '300,000-deep body with an Idempotency-Key',
      { ...deep, headers: { ...deep.headers, 'idempotency-key': 'deep-1' } },
      '400',
    ],
    [
      'gzip Content-Encoding, corrupt stream',
      {
        ...rawPost('/api/products', Buffer.from('not gzip')),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      },
      '400',
    ],
    [
      'gzip Content-Encoding, truncated stream',
      {
        ...rawPost('/api/products', gzipSync(JSON.stringify(product)).subarray(0, 12)),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      },
      '400',
    ],
    [
      'unknown Content-Encoding',
      {
        ...rawPost('/api/products', Buffer.from(JSON.stringify(product))),
        headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      },
      '415',
    ],
    ['invoice total past decimal(14,2)', post('/api/invoices', bigInvoice), '422'],
    [
      'sale_price past decimal(12,2)',
      post('/api/products', { ...product, sale_price: '12345678901.00' }),
      '422',
    ],
    ['movement quantity 2^31', post('/api/stock-movements', { ...move, quantity: 2 ** 31 }), '422'],
    ['movement product_id 2^31', post('/api/stock-movements', { ...move, product_id: 2 ** 31 }), '422'],
    ['detail id 2^31', { path: `/api/products/${2 ** 31}` }, '404'],
    ['query id 2^31', { path: `/api/products?category=${2 ** 31}` }, '400'],
  ]
  const before = await rowCensus(stack.db)
  const cases: CaseOutcome[] = []
  for (const [name, req, expected] of table) {
    const res = await send(stack.origin, { ...req, headers: { ...a.auth, ...req.headers } })
    // A 200 to a query attack must be an ordinary, company-scoped list: no other company's rows.
    const rows = (bodyOf(res) as { results?: { id?: unknown }[] } | undefined)?.results ?? []
    const own = new Set(a.products.map((p) => p.id))
    const foreign = rows.filter((r) => !own.has(Number(r.id))).length
    cases.push({
      name,
      expected,
      status: res.status,
      ...(foreign ? { problem: `${foreign} foreign rows` } : {}),
    })
  }
  const after = await rowCensus(stack.db)
  const written = censusChanges(before, after)
  // No pollution reached the server: a clean create still gets the defaults, and nothing grew an `admin`.
  const clean = await send(stack.origin, {
    method: 'POST',
    path: '/api/products',
    headers: a.auth,
    json: { name: 'Clean product', sku: 'clean-1', sale_price: '2.00' },
  })
  const created = bodyOf(clean) as { is_active?: unknown; admin?: unknown } | undefined
  const verdict = reportCases({
    id: 'hostile-bodies',
    title:
      'Bodies and queries: malformed JSON, 2 MiB, 300,000-deep, bad Content-Encoding, wrong types, values past the columns, __proto__, objects for scalars (knex CVE-2016-20018)',
    cases,
    requests: cases.length + 1,
    written,
    extra: {
      actual: {
        cleanCreateAfterwards: `${clean.status} is_active=${String(created?.is_active)} admin=${String(created?.admin)}`,
      },
      expected: { cleanCreateAfterwards: '201 is_active=true admin=undefined' },
    },
  })
  expect(verdict.actual).toEqual(verdict.expected)
})
