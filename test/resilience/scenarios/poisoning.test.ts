import { expect, it } from 'vitest'
import { type CaseOutcome, reportCases } from '../support/case-table.js'
import { bodyOf, type HttpRequest, type HttpResponse, send } from '../support/http-client.js'
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
