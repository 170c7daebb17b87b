import { expect, it } from 'vitest'
import { type CaseOutcome, reportCases } from '../support/case-table.js'
import { bodyOf, type HttpRequest, type HttpResponse, send, xCache } from '../support/http-client.js'
import { redisKeyCount } from '../support/observe.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, tenants: 2, products: 45 })

/** A poison attempt on the clean list URL `clean` (`/api/products?ordering=id&page_size=K`). */
type Poison = (clean: string, k: number) => HttpRequest

it('a poison attempt followed by a clean request returns the clean body', async () => {
  const [a, b] = stack.tenants
  if (!a || !b) throw new Error('two tenants expected')
  const detailId = a.products[0]!.id
  const poisons: [string, Poison][] = [
    ['X-Forwarded-Host', (c) => ({ path: c, headers: { 'x-forwarded-host': 'evil.example' } })],
    [
      'X-Forwarded-Proto/Port',
      (c) => ({ path: c, headers: { 'x-forwarded-proto': 'https', 'x-forwarded-port': '1' } }),
    ],
    ['Host header', (c) => ({ path: c, headers: { host: 'evil.example' } })],
    [
      'X-Original-URL',
      (c) => ({ path: c, headers: { 'x-original-url': '/api/products?ordering=id&page_size=1' } }),
    ],
    [
      'X-Rewrite-URL',
      (c) => ({ path: c, headers: { 'x-rewrite-url': '/api/products?ordering=id&page_size=1' } }),
    ],
    ['X-HTTP-Method-Override: DELETE', (c) => ({ path: c, headers: { 'x-http-method-override': 'DELETE' } })],
    ['_method=DELETE in the query', (c) => ({ path: `${c}&_method=DELETE` })],
    ['fat GET, JSON body', (c) => ({ path: c, json: { page_size: 1, ordering: '-id' } })],
    [
      'fat GET, form body',
      (c) => ({
        path: c,
        body: 'page_size=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ],
    ['; cloaking', (c) => ({ path: `${c}&utm_content=x;page_size=1` })],
    ['duplicated page_size', (c) => ({ path: `${c}&page_size=1` })],
    [
      'duplicated, reversed order',
      (_c, k) => ({ path: `/api/products?page_size=1&ordering=id&page_size=${k}` }),
    ],
    ['reordered parameters', (_c, k) => ({ path: `/api/products?page_size=${k}&ordering=id` })],
    ['percent-encoded name', (c) => ({ path: `${c.replace('page_size', 'page%5Fsize')}&page%5Fsize=1` })],
    ['percent-encoded value', (_c, k) => ({ path: `/api/products?ordering=%2Did&page_size=${k}` })],
    ['unkeyed parameter', (c) => ({ path: `${c}&utm_source=x&callback=alert` })],
    ['upper-case path', (c) => ({ path: c.replace('/api/products', '/API/PRODUCTS') })],
    ['trailing slash', (c) => ({ path: c.replace('/api/products', '/api/products/') })],
    ['Accept-Encoding gzip first', (c) => ({ path: c, headers: { 'accept-encoding': 'gzip' } })],
    ['another tenant first', (c) => ({ path: c, headers: b.auth })],
    [
      'no-cache refresh with a poison header',
      (c) => ({ path: c, headers: { 'cache-control': 'no-cache', 'x-forwarded-host': 'evil.example' } }),
    ],
  ]
  const cases: CaseOutcome[] = []
  let requests = 0
  let k = 2
  for (const [name, poison] of poisons) {
    // Every case gets its own clean URL (its own page size), so cases cannot mask each other.
    const clean = `/api/products?ordering=id&page_size=${k}`
    const expectedIds = a.products
      .slice(0, k)
      .map((p) => p.id)
      .join()
    const attempt = poison(clean, k)
    const poisoned = await send(stack.origin, { ...attempt, headers: { ...a.auth, ...attempt.headers } })
    const res = await send(stack.origin, { path: clean, headers: a.auth })
    requests += 2
    cases.push({ name, expected: '200', status: res.status, ...problemOf(res, k, expectedIds, poisoned) })
    k++
  }
  // Method override on a detail route must not delete it either.
  const override = await send(stack.origin, {
    path: `/api/products/${detailId}`,
    method: 'POST',
    headers: { ...a.auth, 'x-http-method-override': 'DELETE' },
  })
  const still = await send(stack.origin, { path: `/api/products/${detailId}`, headers: a.auth })
  requests += 2
  cases.push({
    name: 'POST + X-HTTP-Method-Override: DELETE on a product',
    expected: '200',
    status: still.status,
    ...(override.status === 204 ? { problem: 'the override deleted the product' } : {}),
  })
  const verdict = reportCases({
    id: 'poisoning',
    title:
      'Cache poisoning: unkeyed headers, method override, fat GET, ; cloaking, duplicated/reordered/encoded parameters',
    cases,
    requests,
    written: null,
  })
  expect(verdict.actual).toEqual(verdict.expected)
})

it('no client can steer the cache: request Cache-Control, made-up forwarded headers', async () => {
  const [a] = stack.tenants
  if (!a) throw new Error('a tenant expected')
  const redisUrl = stack.redis?.url
  if (!redisUrl) throw new Error('a private Redis expected')
  const path = '/api/products?ordering=id&page_size=40'
  const get = (headers: Record<string, string> = {}) =>
    send(stack.origin, { path, headers: { ...a.auth, ...headers } })
  const first = await get()
  await get() // stored once answered: this one is a HIT
  const etag = String(first.headers.etag ?? '')
  const keysBefore = await redisKeyCount(redisUrl)
  const cases: CaseOutcome[] = []
  const hit = (name: string, res: HttpResponse, expected = '200') =>
    cases.push({
      name,
      expected,
      status: res.status,
      ...(xCache(res) === 'HIT' ? {} : { problem: `X-Cache ${xCache(res)}` }),
    })
  hit('Cache-Control: no-cache is answered from the cache', await get({ 'cache-control': 'no-cache' }))
  hit('Pragma: no-cache is answered from the cache', await get({ pragma: 'no-cache' }))
  hit('Cache-Control: no-store is answered from the cache', await get({ 'cache-control': 'no-store' }))
  hit(
    "fetch's conditional request (If-None-Match + no-cache) gets the cache's 304",
    await get({ 'if-none-match': etag, 'cache-control': 'no-cache' }),
    '304',
  )
  let split = 0
  for (let i = 0; i < 30; i++) {
    const r = await get({ 'x-forwarded-host': `h${i}.evil.example`, 'x-forwarded-proto': `p${i}` })
    if (xCache(r) !== 'HIT') split++
  }
  const newKeys = (await redisKeyCount(redisUrl)) - keysBefore
  cases.push({
    name: '30 made-up X-Forwarded-Host/Proto values: all HITs, no new cache entry',
    expected: '200',
    status: 200,
    ...(split === 0 && newKeys <= 0 ? {} : { problem: `${split} not HIT, ${newKeys} new Redis keys` }),
  })
  const verdict = reportCases({
    id: 'client-steering',
    title:
      'A client cannot force the origin (request Cache-Control) nor split the cache (untrusted X-Forwarded-*)',
    cases,
    requests: 36,
    written: null,
  })
  expect(verdict.actual).toEqual(verdict.expected)
})

/** What is wrong with the clean response: another page size, other rows, or a link to a foreign host. */
function problemOf(res: HttpResponse, k: number, ids: string, poisoned: HttpResponse): { problem?: string } {
  const body = bodyOf(res) as
    | { page_size?: unknown; next?: unknown; results?: { id?: unknown }[] }
    | undefined
  if (!body) return { problem: `not JSON (content-encoding ${String(res.headers['content-encoding'])})` }
  const got = (body.results ?? []).map((r) => Number(r.id)).join()
  if (body.page_size !== k || got !== ids)
    return { problem: `page_size ${String(body.page_size)}, ids ${got} (poison answered ${poisoned.status})` }
  if (typeof body.next === 'string' && /evil|https:|:1\//.test(body.next))
    return { problem: `next link ${body.next}` }
  return {}
}
