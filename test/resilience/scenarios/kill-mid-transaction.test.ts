import type { Knex } from 'knex'
import { expect, it } from 'vitest'
import { ledgerMismatches, mulberry32 } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { delay } from '../support/fault-run.js'
import { bodyOf, send } from '../support/http-client.js'
import { type LoadOp, type RequestRecord, runSuiteLoad } from '../support/load.js'
import { recordResult } from '../support/results.js'
import { useStack } from '../support/stack.js'
import type { Tenant } from '../support/tenant.js'

const stack = useStack({ tenants: 1, products: 12 })
const KILLS = 3
const INITIAL_STOCK = 10_000

/** Issued (or later) invoices whose `invoice:<id>` movements do not match their lines, and drafts that have some. */
async function invoicesWithoutMovements(db: Knex, companyId: number): Promise<string[]> {
  const invoices = (await db('invoices').where('company_id', companyId).select('id', 'status')) as {
    id: number
    status: string
  }[]
  const problems: string[] = []
  for (const inv of invoices) {
    const lines = (await db('invoice_lines')
      .where('invoice_id', inv.id)
      .groupBy('product_id')
      .select('product_id', db.raw('sum(quantity) as q'))) as { product_id: number; q: unknown }[]
    const moves = (await db('stock_movements')
      .where({ company_id: companyId, reason: `invoice:${inv.id}`, type: 'out' })
      .groupBy('product_id')
      .select('product_id', db.raw('sum(quantity) as q'))) as { product_id: number; q: unknown }[]
    const want = inv.status === 'draft' ? '' : lines.map((l) => `${l.product_id}:${Number(l.q)}`).join()
    const got = moves.map((m) => `${m.product_id}:${Number(m.q)}`).join()
    if (want !== got)
      problems.push(`invoice ${inv.id} (${inv.status}): lines ${want || '-'}, movements ${got || '-'}`)
  }
  return problems
}

function invoiceOp(tenant: Tenant, rnd: () => number, acked: { issued: number[]; moves: number[] }): LoadOp {
  const pick = () => tenant.products[Math.floor(rnd() * tenant.products.length)]!.id
  const lines = [pick(), pick(), pick()].map((product_id) => ({
    product_id,
    quantity: 1 + Math.floor(rnd() * 3),
  }))
  return {
    kind: 'invoice-create-issue',
    req: {
      method: 'POST',
      path: '/api/invoices',
      headers: tenant.auth,
      json: { shop_id: tenant.shopId, type: 'sale', lines },
    },
    check: async (res) => {
      if (res.status !== 201) return undefined // the instance may be dead: nothing was acknowledged
      const id = Number((bodyOf(res) as { id?: unknown }).id)
      const issued = await send(stackOrigin(), {
        method: 'POST',
        path: `/api/invoices/${id}/issue`,
        headers: tenant.auth,
        json: { warehouse_id: tenant.warehouseId },
      })
      if (issued.status === 200) acked.issued.push(id)
      return issued.status >= 500 && issued.status !== 503 ? `issue answered ${issued.status}` : undefined
    },
  }
}

function movementOp(tenant: Tenant, rnd: () => number, acked: { moves: number[] }): LoadOp {
  const product = tenant.products[Math.floor(rnd() * tenant.products.length)]!.id
  const type = rnd() < 0.5 ? 'in' : 'out'
  return {
    kind: `movement-${type}`,
    req: {
      method: 'POST',
      path: '/api/stock-movements',
      headers: tenant.auth,
      json: {
        product_id: product,
        warehouse_id: tenant.warehouseId,
        type,
        quantity: 1 + Math.floor(rnd() * 5),
      },
    },
    check: (res) => {
      if (res.status === 201) acked.moves.push(Number((bodyOf(res) as { id?: unknown }).id))
      return res.status >= 500 ? `movement answered ${res.status}` : undefined
    },
  }
}

const stackOrigin = () => stack.origin

it('kill -9 of the instance mid-transaction: no invoice without its movements, every stock equals its ledger', async () => {
  const tenant = stack.tenants[0]!
  const api = stack.instances[0]!
  for (const p of tenant.products) {
    const res = await send(api.origin, {
      method: 'POST',
      path: '/api/stock-movements',
      headers: tenant.auth,
      json: { product_id: p.id, warehouse_id: tenant.warehouseId, type: 'in', quantity: INITIAL_STOCK },
    })
    expect(res.status).toBe(201)
  }
  const rnd = mulberry32(7)
  const acked = { issued: [] as number[], moves: [] as number[] }
  // Segments of load; in each but the last, the instance is killed (SIGKILL) at a random moment
  // while requests are in flight, and restarted before the next segment starts.
  const segmentMs = (2 * LOAD.phaseMs + LOAD.faultMs) / (KILLS + 1)
  const restarts: number[] = []
  const records: RequestRecord[] = []
  const violations: string[] = []
  let wrong = 0
  for (let k = 0; k <= KILLS; k++) {
    const killer =
      k < KILLS
        ? (async () => {
            await delay(segmentMs * (0.3 + 0.5 * rnd()))
            await api.kill('SIGKILL')
          })()
        : Promise.resolve()
    const load = await runSuiteLoad({
      origin: api.origin,
      durationMs: segmentMs,
      next: () => (rnd() < 0.5 ? invoiceOp(tenant, rnd, acked) : movementOp(tenant, rnd, acked)),
      stopWhen: () => !api.alive(),
    })
    await killer
    records.push(...load.records)
    violations.push(...load.violations)
    wrong += load.wrong
    if (k < KILLS) {
      const t = performance.now()
      await api.restart()
      restarts.push(performance.now() - t)
    }
  }
  const load = { sent: records.length, records, violations, wrong }
  const db = stack.db
  const invoiceProblems = await invoicesWithoutMovements(db, tenant.companyId)
  const ledger = await ledgerMismatches(db, tenant.companyId)
  const negative = (
    await db('stocks').where('company_id', tenant.companyId).where('quantity', '<', 0).count({ n: '*' })
  )[0] as { n: unknown }
  const movesFound = acked.moves.length
    ? Number(
        ((await db('stock_movements').whereIn('id', acked.moves).count({ n: '*' }))[0] as { n: unknown }).n,
      )
    : 0
  const issuedOk = acked.issued.length
    ? Number(
        (
          (
            await db('invoices').whereIn('id', acked.issued).whereNot('status', 'draft').count({ n: '*' })
          )[0] as { n: unknown }
        ).n,
      )
    : 0
  const lostWrites = acked.moves.length - movesFound + (acked.issued.length - issuedOk)
  const noResponse = load.records.filter((r) => r.status === 0).length
  const actual = {
    fiveXx: load.records.filter((r) => r.status >= 500).length,
    wrong: load.wrong,
    invoicesWithoutTheirMovements: invoiceProblems.length,
    stocksDifferingFromLedger: ledger.length,
    negativeStocks: Number(negative.n),
    lostWrites,
    killsDone: restarts.length,
  }
  const expected = {
    fiveXx: 0,
    wrong: 0,
    invoicesWithoutTheirMovements: 0,
    stocksDifferingFromLedger: 0,
    negativeStocks: 0,
    lostWrites: 0,
    killsDone: KILLS,
  }
  recordResult({
    id: 'kill-mid-transaction',
    group: 'fault',
    title: `kill -9 of the instance ${KILLS}× under invoice/movement load, restarted each time`,
    requests: load.sent,
    fiveXx: actual.fiveXx,
    wrong: load.wrong + invoiceProblems.length + ledger.length,
    lostWrites,
    recoveryMs: Math.round(Math.max(...restarts)),
    actual,
    expected,
    notes: [
      `${acked.issued.length} invoices issued, ${acked.moves.length} movements acknowledged; ${noResponse} requests found the instance dead`,
      'recovery: slowest restart of the killed process until /health answers',
      ...invoiceProblems.slice(0, 5),
      ...ledger.slice(0, 5),
      ...load.violations.slice(0, 5),
    ],
  })
  expect(actual, [...invoiceProblems, ...ledger, ...load.violations].join('\n')).toEqual(expected)
})
