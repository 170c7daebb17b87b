import { expect, it } from 'vitest'
import { CatalogWorkload, interleave } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { bodyOf, send, xCache } from '../support/http-client.js'
import { type LoadOp, runSuiteLoad, serverErrors } from '../support/load.js'
import { recordResult } from '../support/results.js'
import { useStack } from '../support/stack.js'
import { BASE_PRICE } from '../support/tenant.js'

const stack = useStack({ redis: {}, instances: 2, tenants: 1, products: 40 })

it('a write on instance A is visible to the very next read on instance B (violations: 0)', async () => {
  const [a, b] = stack.instances
  if (!a || !b) throw new Error('two instances expected')
  const tenant = stack.tenants[0]!
  // Background: the standard mix read from B (keeps B's cache warm) with writes sent to A; the
  // probe takes turns with it on the same hot products, so both judge every price they see.
  const mix = new CatalogWorkload(tenant, { hot: 12, writeRatio: 0.1, writeOrigin: a.origin }, 3)
  let pairs = 0
  const violations: string[] = []
  let violationCount = 0
  const probe = (): LoadOp => {
    const claim = mix.claimPriceWrite()
    if (!claim) return mix.next()
    return {
      kind: 'write-A-then-read-B',
      origin: a.origin,
      req: {
        method: 'PATCH',
        path: `/api/products/${claim.id}`,
        headers: tenant.auth,
        json: { sale_price: (BASE_PRICE + claim.version).toFixed(2) },
      },
      check: async (res) => {
        claim.done(res.status === 200)
        if (res.status !== 200) return `write answered ${res.status}`
        pairs++
        const detail = await send(b.origin, { path: `/api/products/${claim.id}`, headers: tenant.auth })
        const seen = Number((bodyOf(detail) as { sale_price?: unknown } | undefined)?.sale_price) - BASE_PRICE
        if (seen >= claim.version) return undefined
        const msg = `B read version ${seen} (${detail.status} ${String(detail.headers['x-cache'])}) after A acknowledged ${claim.version}`
        violationCount++
        if (violations.length < 20) violations.push(`product ${claim.id}: ${msg}`)
        return msg
      },
    }
  }
  const durationMs = 2 * LOAD.phaseMs + LOAD.faultMs
  const t0 = performance.now()
  const load = await runSuiteLoad({
    origin: b.origin,
    durationMs,
    t0,
    next: interleave(probe, mix.next, mix.next),
  })
  const lost = await mix.lostWrites(stack.db)
  const actual = {
    fiveXx: serverErrors(load.records),
    readAfterWriteViolations: violationCount,
    otherWrongResponses: load.wrong - violationCount,
    lostWrites: lost.lost,
  }
  const expected = { fiveXx: 0, readAfterWriteViolations: 0, otherWrongResponses: 0, lostWrites: 0 }
  recordResult({
    id: 'two-instances',
    group: 'fault',
    title: 'Two instances behind one Redis: write on A, next read on B',
    requests: load.sent + pairs,
    fiveXx: actual.fiveXx,
    wrong: load.wrong,
    lostWrites: lost.lost,
    recoveryMs: null,
    actual,
    expected,
    notes: [
      `${pairs} acknowledged writes on A each followed by a read on B; X-Cache ${JSON.stringify(load.byXCache)}`,
      ...violations.slice(0, 5),
      ...load.violations.slice(0, 5),
    ],
  })
  expect(actual, [...violations, ...load.violations, ...lost.details].join('\n')).toEqual(expected)
})

it('hot key: one writer on A, eight readers on B; no read sent after a write was acknowledged shows older data', async () => {
  const [a, b] = stack.instances
  if (!a || !b) throw new Error('two instances expected')
  const tenant = stack.tenants[0]!
  // A product the first test did not write, so the versions start at 0.
  const id = tenant.products.at(-1)!.id
  const durationMs = LOAD.faultMs
  const t0 = performance.now()
  let acked = 0
  let reads = 0
  let writes = 0
  let fiveXx = 0
  const stale: string[] = []
  let staleCount = 0
  const writer = async () => {
    for (let v = 1; performance.now() - t0 < durationMs; v++) {
      const res = await send(a.origin, {
        method: 'PATCH',
        path: `/api/products/${id}`,
        headers: tenant.auth,
        json: { sale_price: (BASE_PRICE + v).toFixed(2) },
      })
      writes++
      if (res.status >= 500) fiveXx++
      if (res.status === 200) acked = v
    }
  }
  const reader = async () => {
    while (performance.now() - t0 < durationMs) {
      const before = acked
      const res = await send(b.origin, { path: `/api/products/${id}`, headers: tenant.auth })
      reads++
      if (res.status >= 500) fiveXx++
      const seen = Number((bodyOf(res) as { sale_price?: unknown } | undefined)?.sale_price) - BASE_PRICE
      if (seen < before) {
        staleCount++
        if (stale.length < 5)
          stale.push(`read version ${seen} (${xCache(res)}) after ${before} was acknowledged`)
      }
    }
  }
  await Promise.all([writer(), ...Array.from({ length: 8 }, reader)])
  const actual = { fiveXx, staleReads: staleCount }
  const expected = { fiveXx: 0, staleReads: 0 }
  recordResult({
    id: 'hot-key-read-after-write',
    group: 'fault',
    title: 'Hot key across two instances: 1 writer on A, 8 readers on B, no fault',
    requests: reads + writes,
    fiveXx,
    wrong: staleCount,
    lostWrites: null,
    recoveryMs: null,
    actual,
    expected,
    notes: [`${writes} writes, ${reads} reads in ${durationMs / 1000} s`, ...stale],
  })
  expect(actual, stale.join('\n')).toEqual(expected)
})
