import type { Knex } from 'knex'
import { bodyOf, type HttpResponse } from './http-client.js'
import type { LoadOp } from './load.js'
import { BASE_PRICE, type ProductSeed, type Tenant } from './tenant.js'

/** Page size of the list reads; the workload checks every page against the created catalogue. */
const PAGE_SIZE = 10

/** Per hot product: write versions sent and acknowledged, movements sent and acknowledged. */
interface HotState {
  sentVersion: number
  ackedVersion: number
  writing: boolean
  movesSent: number
  movesAcked: number
}

/** Statuses a response may have besides 2xx, and the error code each must carry. */
export type AllowedErrors = ReadonlyMap<number, string>

/** Options of {@link CatalogWorkload}. */
export interface CatalogOptions {
  /** Products whose price and stock the workload writes; the rest are only read. */
  readonly hot: number
  /** Share of requests that are writes (half price changes, half `in` movements). */
  readonly writeRatio: number
  /** Called to decide which non-2xx statuses are acceptable at the moment a response arrives. */
  readonly allowed?: () => AllowedErrors
  /** Instance to send writes to (default: the run's origin). */
  readonly writeOrigin?: string
}

/** Interleaves several workloads (one per tenant) request by request. */
export function interleave(...nexts: (() => LoadOp)[]): () => LoadOp {
  let i = 0
  return () => (nexts[i++ % nexts.length] as () => LoadOp)()
}

/**
 * The standard mixed load on one tenant: cached product detail and list reads, stock reads, price
 * changes and `in` movements on a few hot products. Every response is checked against what the
 * suite knows is true: created fields unchanged, list pages exact, and a hot product's price or
 * stock never older than the last write acknowledged before the read was sent, never newer than
 * the last write sent before it came back.
 */
export class CatalogWorkload {
  readonly hot: Map<number, HotState>
  /** Ids of every `201` movement: each must be in the database afterwards. */
  readonly ackedMovements: number[] = []
  private readonly byId: Map<number, ProductSeed>
  private rnd: () => number

  constructor(
    readonly tenant: Tenant,
    private readonly options: CatalogOptions,
    seed = 1,
  ) {
    this.byId = new Map(tenant.products.map((p) => [p.id, p]))
    this.hot = new Map(
      tenant.products
        .slice(0, options.hot)
        .map((p) => [p.id, { sentVersion: 0, ackedVersion: 0, writing: false, movesSent: 0, movesAcked: 0 }]),
    )
    this.rnd = mulberry32(seed)
  }

  /** The next request of the mix (pass as `runLoad`'s `next`). */
  next = (): LoadOp => {
    const r = this.rnd()
    const w = this.options.writeRatio
    if (this.hot.size === 0) {
      // read-only tenant
    } else if (r < w / 2) {
      const op = this.priceWrite()
      if (op) return op
    } else if (r < w) return this.movement()
    const q = this.rnd()
    if (q < 0.4) return this.detail()
    if (q < 0.8 || this.hot.size === 0) return this.listPage()
    return this.stockRead()
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)] as T
  }

  /** A non-2xx status is fine only when `allowed` lists it, with its error code. */
  private statusProblem(res: HttpResponse, ok: number): string | undefined {
    if (res.status === ok) return undefined
    const code = this.options.allowed?.().get(res.status)
    if (code === undefined) return `unexpected status ${res.status}`
    const body = bodyOf(res) as { error?: { code?: unknown } } | undefined
    return body?.error?.code === code
      ? undefined
      : `status ${res.status} without error code ${code}: ${res.text}`
  }

  private rowProblem(
    row: Record<string, unknown>,
    sentAtEnd: (id: number) => number,
    ackedAtStart: number | undefined,
  ) {
    const id = Number(row.id)
    const seed = this.byId.get(id)
    if (!seed) return `row ${id} is not a product of company ${this.tenant.companyId}`
    if (row.name !== seed.name || row.sku !== seed.sku) return `row ${id} shows ${row.name}/${row.sku}`
    const version = Number(row.sale_price) - BASE_PRICE
    const acked = ackedAtStart ?? 0
    if (version < acked) return `product ${id} price version ${version} older than acknowledged ${acked}`
    if (version > sentAtEnd(id)) return `product ${id} price version ${version} never written`
    return undefined
  }

  private detail(): LoadOp {
    const p = this.pick(this.tenant.products)
    const acked = this.hot.get(p.id)?.ackedVersion
    return {
      kind: 'read-detail',
      req: { path: `/api/products/${p.id}`, headers: this.tenant.auth },
      check: (res) => {
        const bad = this.statusProblem(res, 200)
        if (bad || res.status !== 200) return bad
        return this.rowProblem(bodyOf(res) as Record<string, unknown>, (id) => this.sentVersion(id), acked)
      },
    }
  }

  private sentVersion(id: number): number {
    return this.hot.get(id)?.sentVersion ?? 0
  }

  private listPage(): LoadOp {
    const pages = Math.ceil(this.tenant.products.length / PAGE_SIZE)
    const page = 1 + Math.floor(this.rnd() * pages)
    const expected = this.tenant.products.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((p) => p.id)
    const acked = new Map([...this.hot].map(([id, h]) => [id, h.ackedVersion]))
    return {
      kind: 'read-list',
      req: {
        path: `/api/products?ordering=id&page_size=${PAGE_SIZE}&page=${page}`,
        headers: this.tenant.auth,
      },
      check: (res) => {
        const bad = this.statusProblem(res, 200)
        if (bad || res.status !== 200) return bad
        const body = bodyOf(res) as { count?: unknown; results?: Record<string, unknown>[] } | undefined
        const rows = body?.results ?? []
        const ids = rows.map((r) => Number(r.id))
        if (body?.count !== this.tenant.products.length) return `count ${String(body?.count)}`
        if (ids.join() !== expected.join())
          return `page ${page} ids ${ids.join()} instead of ${expected.join()}`
        for (const row of rows) {
          const problem = this.rowProblem(row, (id) => this.sentVersion(id), acked.get(Number(row.id)))
          if (problem) return problem
        }
        return undefined
      },
    }
  }

  private stockRead(): LoadOp {
    const [id, h] = this.pick([...this.hot])
    const ackedAtStart = h.movesAcked
    return {
      kind: 'read-stock',
      req: { path: `/api/stocks?product=${id}`, headers: this.tenant.auth },
      check: (res) => {
        const bad = this.statusProblem(res, 200)
        if (bad || res.status !== 200) return bad
        const body = bodyOf(res) as { results?: { quantity?: unknown }[] } | undefined
        const quantity = Number(body?.results?.[0]?.quantity ?? 0)
        if (quantity < ackedAtStart)
          return `stock of ${id} is ${quantity}, ${ackedAtStart} movements acknowledged`
        if (quantity > h.movesSent) return `stock of ${id} is ${quantity}, only ${h.movesSent} movements sent`
        return undefined
      },
    }
  }

  /**
   * Claims a hot product for one price write (one write in flight per product): the version to
   * write, and `done(ok)` to call with whether it was acknowledged. `undefined` when all are busy.
   */
  claimPriceWrite(): { id: number; version: number; done: (acknowledged: boolean) => void } | undefined {
    const free = [...this.hot].filter(([, h]) => !h.writing)
    if (free.length === 0) return undefined
    const [id, h] = this.pick(free)
    h.writing = true
    const version = ++h.sentVersion
    return {
      id,
      version,
      done: (acknowledged) => {
        h.writing = false
        if (acknowledged) h.ackedVersion = Math.max(h.ackedVersion, version)
      },
    }
  }

  private priceWrite(): LoadOp | undefined {
    const claim = this.claimPriceWrite()
    if (!claim) return undefined
    return {
      kind: 'write-price',
      ...(this.options.writeOrigin ? { origin: this.options.writeOrigin } : {}),
      req: {
        method: 'PATCH',
        path: `/api/products/${claim.id}`,
        headers: this.tenant.auth,
        json: { sale_price: (BASE_PRICE + claim.version).toFixed(2) },
      },
      check: (res) => {
        claim.done(res.status === 200)
        return this.statusProblem(res, 200)
      },
    }
  }

  /** An `in` movement of one unit on a hot product, counted as sent now and acknowledged on `201`. */
  movement(): LoadOp {
    const [id, h] = this.pick([...this.hot])
    h.movesSent++
    return {
      kind: 'write-movement',
      ...(this.options.writeOrigin ? { origin: this.options.writeOrigin } : {}),
      req: {
        method: 'POST',
        path: '/api/stock-movements',
        headers: this.tenant.auth,
        json: { product_id: id, warehouse_id: this.tenant.warehouseId, type: 'in', quantity: 1 },
      },
      check: (res) => {
        if (res.status === 201) {
          h.movesAcked++
          this.ackedMovements.push(Number((bodyOf(res) as { id?: unknown }).id))
        }
        return this.statusProblem(res, 201)
      },
    }
  }

  /**
   * Acknowledged writes missing from the database: `201` movements whose row is gone, hot products
   * whose price is older than the last `200`, and stocks that differ from the sum of their movements.
   */
  async lostWrites(db: Knex): Promise<{ lost: number; details: string[] }> {
    const details: string[] = []
    const companyId = this.tenant.companyId
    const found = new Set<number>()
    for (let i = 0; i < this.ackedMovements.length; i += 500) {
      const rows = (await db('stock_movements')
        .where('company_id', companyId)
        .whereIn('id', this.ackedMovements.slice(i, i + 500))
        .select('id')) as { id: number }[]
      for (const r of rows) found.add(Number(r.id))
    }
    const missing = this.ackedMovements.filter((id) => !found.has(id))
    if (missing.length) details.push(`movements acknowledged but absent: ${missing.slice(0, 10).join()}`)
    let lost = missing.length
    for (const [id, h] of this.hot) {
      const row = (await db('products').where({ id, company_id: companyId }).first('sale_price')) as
        | { sale_price: unknown }
        | undefined
      const version = Number(row?.sale_price) - BASE_PRICE
      if (!(version >= h.ackedVersion)) {
        lost++
        details.push(
          `product ${id}: price version ${version} in the database, ${h.ackedVersion} acknowledged`,
        )
      }
    }
    const ledger = await ledgerMismatches(db, companyId)
    lost += ledger.length
    details.push(...ledger)
    return { lost, details }
  }
}

/** Stocks of `companyId` whose quantity differs from the signed sum of their movements. */
export async function ledgerMismatches(db: Knex, companyId: number): Promise<string[]> {
  const rows = (await db('stocks as s')
    .leftJoin(
      db('stock_movements')
        .where('company_id', companyId)
        .groupBy('product_id', 'warehouse_id')
        .select(
          'product_id',
          'warehouse_id',
          db.raw("sum(case when type = 'out' then -quantity else quantity end) as total"),
        )
        .as('m'),
      function () {
        this.on('m.product_id', 's.product_id').andOn('m.warehouse_id', 's.warehouse_id')
      },
    )
    .where('s.company_id', companyId)
    .select('s.product_id', 's.warehouse_id', 's.quantity', 'm.total')) as Record<string, unknown>[]
  return rows
    .filter((r) => Number(r.quantity) !== Number(r.total ?? 0))
    .map((r) => `stock ${r.product_id}/${r.warehouse_id}: quantity ${r.quantity}, movements sum ${r.total}`)
}

/** Small seeded PRNG so a run's request mix can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
