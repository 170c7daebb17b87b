import { STORE_COLUMN_LIMITS } from '@hotpath/schema'
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import { invalidate, PAGE_QUERY, withCachedReads } from '../api/cached-read.js'
import { dateParam, idBody, idParam, moneyBody } from '../api/filters.js'
import { type ListContext, sendList } from '../api/list-response.js'
import { assertOwned } from '../api/owned.js'
import type { ListSpec } from '../api/route-spec.js'
import { insertRow } from '../db/insert-row.js'
import { inTransaction } from '../db/retry.js'
import { applyMovement, type MovementType } from '../db/stock-ledger.js'
import { toInt, toMoney } from '../db/values.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { companyOf } from '../http/request-context.js'
import { parseBody, parseId } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'
import { cents, fromCents, invoiceQuery, serializeInvoice, withLines } from './invoice-rows.js'

const INVOICE_TYPES = ['sale', 'purchase', 'credit_note'] as const
/** Most units one line may carry (a business bound, far inside the integer column). */
const MAX_LINE_QUANTITY = 1_000_000
/** The largest total `invoices.total` holds, in cents (`decimal(14,2)`: 999,999,999,999.99). */
const MAX_TOTAL_CENTS = 10n ** BigInt(STORE_COLUMN_LIMITS.invoiceTotal.precision) - 1n
const STATUSES = ['draft', 'issued', 'paid', 'cancelled'] as const
type InvoiceType = (typeof INVOICE_TYPES)[number]

/** Body of `POST /api/invoices`. */
export const invoiceCreateSchema = z.strictObject({
  shop_id: idBody,
  type: z.enum(INVOICE_TYPES),
  lines: z
    .array(
      z.strictObject({
        product_id: idBody,
        quantity: z.number().int().positive().max(MAX_LINE_QUANTITY),
        unit_price: moneyBody.optional(),
      }),
    )
    .min(1)
    .max(500),
})
/** Body of `POST /api/invoices/:id/issue`. */
export const invoiceIssueSchema = z.strictObject({ warehouse_id: idBody })

const filters = z.object({
  shop: idParam.optional(),
  type: z.enum(INVOICE_TYPES).optional(),
  status: z.enum(STATUSES).optional(),
  since: dateParam.optional(),
  until: dateParam.optional(),
})
type Filters = z.output<typeof filters>

/** How long an invoice read stays cached; every invoice write (and a shop change) invalidates it. */
export const INVOICE_CACHE_TTL = '3m'

/** How `GET /api/invoices` pages: `smart` (exact or estimated count, seeks for deep pages). */
export const invoiceList: ListSpec = {
  resource: 'invoices',
  strategy: 'smart',
  ordering: ['created_at', 'number', 'total', 'id'],
  defaultOrdering: ['-created_at'],
  filters,
}

const PREFIX: Record<InvoiceType, string> = { sale: 'SA', purchase: 'PU', credit_note: 'CN' }
/** Stock effect of issuing: a sale takes goods out, a purchase or a credit note brings them in. */
const ISSUE_MOVEMENT: Record<InvoiceType, MovementType> = { sale: 'out', purchase: 'in', credit_note: 'in' }

/** Invoices: drafts with lines; issuing and cancelling move stock in the same transaction. */
export class InvoicesController {
  constructor(
    private readonly deps: AppDeps,
    private readonly ctx: ListContext,
  ) {}

  private async load(companyId: number, id: number): Promise<Record<string, unknown>> {
    const row = (await invoiceQuery(this.deps.db, companyId).where('i.id', id).first()) as
      | Record<string, unknown>
      | undefined
    if (!row) throw new NotFoundError('invoice', id)
    const [full] = await withLines(this.deps.db, companyId, [row])
    return serializeInvoice(full ?? row)
  }

  private id(req: Request): number {
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError('invoice', String(req.params.id))
    return id
  }

  async list(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const { db } = this.deps
    await sendList<Filters>(
      req,
      res,
      this.ctx,
      invoiceList,
      (f) => {
        const q = invoiceQuery(db, companyId)
        if (f.shop !== undefined) q.where('i.shop_id', f.shop)
        if (f.type !== undefined) q.where('i.type', f.type)
        if (f.status !== undefined) q.where('i.status', f.status)
        if (f.since !== undefined) q.where('i.created_at', '>=', f.since)
        if (f.until !== undefined) q.where('i.created_at', '<', f.until)
        return q
      },
      serializeInvoice,
      (rows) => withLines(db, companyId, rows),
    )
  }

  async detail(req: Request, res: Response): Promise<void> {
    res.json(await this.load(companyOf(req), this.id(req)))
  }

  async create(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const b = parseBody(invoiceCreateSchema, req.body)
    const { db } = this.deps
    await assertOwned(db, companyId, 'shops', 'shop_id', [b.shop_id])
    const productIds = b.lines.map((l) => l.product_id)
    await assertOwned(db, companyId, 'products', 'lines.product_id', productIds)
    const prices = new Map<number, string>(
      (
        (await db('products')
          .where('company_id', companyId)
          .whereIn('id', productIds)
          .select('id', 'sale_price')) as {
          id: unknown
          sale_price: unknown
        }[]
      ).map((p) => [toInt(p.id), toMoney(p.sale_price)]),
    )
    const lines = b.lines.map((l) => ({
      ...l,
      unit_price: l.unit_price ?? prices.get(l.product_id) ?? '0.00',
    }))
    const total = lines.reduce((sum, l) => sum + cents(l.unit_price) * BigInt(l.quantity), 0n)
    if (total > MAX_TOTAL_CENTS) {
      throw new ValidationError([
        {
          path: 'lines',
          message: `the total ${fromCents(total)} exceeds ${fromCents(MAX_TOTAL_CENTS)}, the largest an invoice holds`,
        },
      ])
    }
    const id = await inTransaction(db, async (trx) => {
      const now = new Date()
      const invoiceId = await insertRow(trx, 'invoices', {
        company_id: companyId,
        shop_id: b.shop_id,
        number: `tmp-${now.getTime()}-${Math.random().toString(36).slice(2)}`,
        type: b.type,
        status: 'draft',
        total: fromCents(total),
        created_at: now,
        updated_at: now,
      })
      await trx('invoices')
        .where('id', invoiceId)
        .update({ number: `${PREFIX[b.type]}-${String(invoiceId).padStart(6, '0')}` })
      await trx('invoice_lines').insert(
        lines.map((l) => ({
          invoice_id: invoiceId,
          company_id: companyId,
          product_id: l.product_id,
          quantity: l.quantity,
          unit_price: l.unit_price,
        })),
      )
      return invoiceId
    })
    await invalidate(this.deps, companyId, [{ resource: 'invoices', ids: [id], membership: true }])
    res.status(201).json(await this.load(companyId, id))
  }

  /** Moves the invoice from one of `from` to `to`, or explains why not (404 / 409 invalid_state). */
  private async transition(
    trx: Knex.Transaction,
    companyId: number,
    id: number,
    from: readonly string[],
    to: string,
  ): Promise<{ type: InvoiceType; status: string }> {
    const row = (await trx('invoices').where({ id, company_id: companyId }).first('type', 'status')) as
      | { type: InvoiceType; status: string }
      | undefined
    if (!row) throw new NotFoundError('invoice', id)
    // The conditional update is the guard: two concurrent issues of one invoice cannot both match.
    const changed = await trx('invoices')
      .where({ id, company_id: companyId })
      .whereIn('status', [...from])
      .update({ status: to, updated_at: new Date() })
    if (changed === 0) {
      throw new ConflictError(
        'invalid_state',
        `invoice ${id} is ${row.status}; it must be ${from.join(' or ')}`,
      )
    }
    return row
  }

  async issue(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    const b = parseBody(invoiceIssueSchema, req.body)
    const { db } = this.deps
    await assertOwned(db, companyId, 'warehouses', 'warehouse_id', [b.warehouse_id])
    const stocks = await inTransaction(db, async (trx) => {
      const moved: number[] = []
      const invoice = await this.transition(trx, companyId, id, ['draft'], 'issued')
      const lines = (await trx('invoice_lines')
        .where({ invoice_id: id, company_id: companyId })
        .groupBy('product_id')
        .orderBy('product_id') // one lock order for every transaction: fewer deadlocks
        .select('product_id', trx.raw('sum(quantity) as quantity'))) as {
        product_id: unknown
        quantity: unknown
      }[]
      for (const l of lines) {
        const applied = await applyMovement(trx, {
          companyId,
          productId: toInt(l.product_id),
          warehouseId: b.warehouse_id,
          type: ISSUE_MOVEMENT[invoice.type],
          quantity: toInt(l.quantity),
          reason: `invoice:${id}`,
          invoiceId: id,
        })
        moved.push(applied.stockId)
      }
      return moved
    })
    await invalidate(this.deps, companyId, [
      { resource: 'invoices', ids: [id], columns: ['status', 'updated_at'] },
      { resource: 'stocks', ids: stocks, columns: ['quantity', 'updated_at'], membership: true },
      { resource: 'stock-movements', ids: [], membership: true },
    ])
    res.json(await this.load(companyId, id))
  }

  async pay(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    await inTransaction(this.deps.db, (trx) => this.transition(trx, companyId, id, ['issued'], 'paid'))
    await invalidate(this.deps, companyId, [
      { resource: 'invoices', ids: [id], columns: ['status', 'updated_at'] },
    ])
    res.json(await this.load(companyId, id))
  }

  async cancel(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    const { db } = this.deps
    const stocks = await inTransaction(db, async (trx) => {
      const reversed: number[] = []
      const before = await this.transition(trx, companyId, id, ['draft', 'issued'], 'cancelled')
      // A draft moved no stock. An issued invoice's movements are found by the id its issue
      // wrote them with (never by `reason`, which any client writes), and reversed in this transaction.
      if (before.status !== 'issued') return reversed
      const moved = (await trx('stock_movements')
        .where({ company_id: companyId, invoice_id: id })
        .orderBy('product_id')
        .select('product_id', 'warehouse_id', 'type', 'quantity')) as Record<string, unknown>[]
      for (const m of moved) {
        const applied = await applyMovement(trx, {
          companyId,
          productId: toInt(m.product_id),
          warehouseId: toInt(m.warehouse_id),
          type: m.type === 'out' ? 'in' : 'out',
          quantity: toInt(m.quantity),
          reason: `invoice:${id}:cancel`,
          invoiceId: id,
        })
        reversed.push(applied.stockId)
      }
      return reversed
    })
    await invalidate(this.deps, companyId, [
      { resource: 'invoices', ids: [id], columns: ['status', 'updated_at'] },
      { resource: 'stocks', ids: stocks, columns: ['quantity', 'updated_at'], membership: true },
      { resource: 'stock-movements', ids: [], membership: true },
    ])
    res.json(await this.load(companyId, id))
  }
}

/**
 * The invoice controller with its reads cached per company for {@link INVOICE_CACHE_TTL} (lists
 * and details; an invoice created, issued, paid or cancelled drops the lists and its own detail).
 */
export function invoicesController(deps: AppDeps, ctx: ListContext): InvoicesController {
  return withCachedReads(InvoicesController, deps, ctx, {
    resource: 'invoices',
    ttl: INVOICE_CACHE_TTL,
    query: [...PAGE_QUERY, ...Object.keys(filters.shape)],
    list: invoiceList,
  })
}
