import { expect, it } from 'vitest'
import { mulberry32 } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { bodyOf, type HttpResponse } from '../support/http-client.js'
import { type LoadOp, noResponseNotes, runSuiteLoad, serverErrors } from '../support/load.js'
import { recordResult } from '../support/results.js'
import { useStack } from '../support/stack.js'
import type { Tenant } from '../support/tenant.js'

const TENANTS = 4
const stack = useStack({ redis: {}, tenants: TENANTS, products: 15 })

it(`tenant isolation fuzz: ${TENANTS} companies, random interleaved reads and writes through the cache`, async () => {
  const tenants = stack.tenants
  // Which company owns each product id (grows as the fuzz creates products).
  const owner = new Map<number, number>()
  for (const [i, t] of tenants.entries()) for (const p of t.products) owner.set(p.id, i)
  const rnd = mulberry32(11)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  let created = 0
  const leaks: string[] = []

  /** Every row must belong to tenant `me`: products by id, stocks and movements by product. */
  const rowLeak = (me: number, res: HttpResponse): string | undefined => {
    if (res.status !== 200) return undefined
    const body = bodyOf(res) as { results?: Record<string, unknown>[] } & Record<string, unknown>
    const rows = Array.isArray(body?.results) ? body.results : [body]
    for (const row of rows) {
      const productId = Number(row.product_id ?? row.id)
      const who = owner.get(productId)
      const name = String(row.name ?? row.product_name ?? '')
      if (who !== undefined && who !== me) return `company t${me} got product ${productId} of t${who}`
      if (/^t\d+ /.test(name) && !name.startsWith(`t${me} `)) return `company t${me} got a row named ${name}`
    }
    return undefined
  }

  const op = (): LoadOp => {
    const me = Math.floor(rnd() * TENANTS)
    const t = tenants[me] as Tenant
    const other = tenants[(me + 1 + Math.floor(rnd() * (TENANTS - 1))) % TENANTS] as Tenant
    const r = rnd()
    const read = (path: string, kind: string): LoadOp => ({
      kind,
      req: { path, headers: t.auth },
      check: (res) => rowLeak(me, res) ?? (res.status >= 500 ? `status ${res.status}` : undefined),
    })
    if (r < 0.25) {
      const size = pick([5, 10, 50])
      const ordering = pick(['id', '-id', 'name', '-created_at', 'sale_price'])
      return read(
        `/api/products?page_size=${size}&ordering=${ordering}&page=${1 + Math.floor(rnd() * 2)}`,
        'list',
      )
    }
    if (r < 0.35)
      return read(
        `/api/products?search=${encodeURIComponent(`t${pick(tenants.map((_, i) => i))} product`)}`,
        'search',
      )
    if (r < 0.5) return read(`/api/products/${pick(t.products).id}`, 'own-detail')
    if (r < 0.6) {
      // Another company's id must be a 404 with nothing of it in the body.
      const id = pick(other.products).id
      return {
        kind: 'foreign-detail',
        req: { path: `/api/products/${id}`, headers: t.auth },
        check: (res) =>
          res.status === 404 && !res.text.includes(`"name"`)
            ? undefined
            : `foreign id ${id} gave ${res.status} ${res.text.slice(0, 80)}`,
      }
    }
    if (r < 0.7) return read(`/api/stocks?page_size=20`, 'stocks')
    if (r < 0.78) return read(`/api/stock-movements?page_size=20`, 'movements')
    if (r < 0.86) {
      return {
        kind: 'write-price',
        req: {
          method: 'PATCH',
          path: `/api/products/${pick(t.products).id}`,
          headers: t.auth,
          json: { sale_price: (100 + Math.floor(rnd() * 50)).toFixed(2) },
        },
        check: (res) => rowLeak(me, res) ?? (res.status === 200 ? undefined : `status ${res.status}`),
      }
    }
    if (r < 0.94) {
      return {
        kind: 'write-movement',
        req: {
          method: 'POST',
          path: '/api/stock-movements',
          headers: t.auth,
          json: { product_id: pick(t.products).id, warehouse_id: t.warehouseId, type: 'in', quantity: 1 },
        },
        check: (res) => (res.status === 201 ? undefined : `status ${res.status}`),
      }
    }
    const n = created++
    const name = `t${me} product fuzz ${n}`
    return {
      kind: 'write-create',
      req: {
        method: 'POST',
        path: '/api/products',
        headers: t.auth,
        json: { name, sku: `fz-${n}`, sale_price: '5.00' },
      },
      check: (res) => {
        if (res.status !== 201) return `status ${res.status}`
        owner.set(Number((bodyOf(res) as { id?: unknown }).id), me)
        return undefined
      },
    }
  }

  const load = await runSuiteLoad({ origin: stack.origin, durationMs: LOAD.fuzzMs, next: op })
  leaks.push(...load.violations.filter((v) => v.includes('got')))
  const actual = { fiveXx: serverErrors(load.records), violations: load.wrong }
  const expected = { fiveXx: 0, violations: 0 }
  recordResult({
    id: 'tenant-isolation-fuzz',
    group: 'attack',
    title: `Tenant isolation fuzz: ${TENANTS} companies, ${LOAD.fuzzMs / 1000} s of random interleaved reads and writes`,
    requests: load.sent,
    fiveXx: actual.fiveXx,
    wrong: load.wrong,
    lostWrites: null,
    recoveryMs: null,
    actual,
    expected,
    notes: [
      `statuses ${JSON.stringify(load.byStatus)}; X-Cache ${JSON.stringify(load.byXCache)}; ${created} products created`,
      ...load.violations.slice(0, 5),
      ...noResponseNotes(load.records),
    ],
  })
  expect(actual, [...leaks, ...load.violations].join('\n')).toEqual(expected)
})
