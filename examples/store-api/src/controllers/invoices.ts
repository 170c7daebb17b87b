import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import { invalidate } from '../api/cached-read.js'
import { dateParam, idParam, moneyBody } from '../api/filters.js'
import { type ListContext, sendList } from '../api/list-response.js'
import { assertOwned } from '../api/owned.js'
import type { ListSpec, RouteSpec } from '../api/route-spec.js'
import { insertRow } from '../db/insert-row.js'
import { inTransaction } from '../db/retry.js'
import { applyMovement, type MovementType } from '../db/stock-ledger.js'
import { toInt, toIso, toMoney } from '../db/values.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { companyOf } from '../http/request-context.js'
import { parseBody, parseId } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'

const INVOICE_TYPES = ['sale', 'purchase', 'credit_note'] as const
const STATUSES = ['draft', 'issued', 'paid', 'cancelled'] as const
type InvoiceType = (typeof INVOICE_TYPES)[number]

const createSchema = z.strictObject({
  shop_id: z.number().int().positive(),
  type: z.enum(INVOICE_TYPES),
  lines: z
    .array(
      z.strictObject({
        product_id: z.number().int().positive(),
        quantity: z.number().int().positive().max(1_000_000),
        unit_price: moneyBody.optional(),
      }),
    )
    .min(1)
    .max(500),
})
const issueSchema = z.strictObject({ warehouse_id: z.number().int().positive() })

const filters = z.object({
  shop: idParam.optional(),
  type: z.enum(INVOICE_TYPES).optional(),
  status: z.enum(STATUSES).optional(),
  since: dateParam.optional(),
  until: dateParam.optional(),
})
type Filters = z.output<typeof filters>

/** How `GET /api/invoices` pages: `smart` (exact or estimated count, seeks for deep pages). */
export const invoiceList: ListSpec = {
  resource: 'invoices',
  strategy: 'smart',
  ordering: ['created_at', 'number', 'total', 'id'],
  defaultOrdering: ['-created_at'],
  filters,
}

function invoiceQuery(db: Knex, companyId: number): Knex.QueryBuilder {
  return db('invoices as i')
    .leftJoin('shops as sh', 'sh.id', 'i.shop_id')
    .where('i.company_id', companyId)
    .select(
      'i.id',
      'i.shop_id',
      'sh.name as shop_name',
      'i.number',
      'i.type',
      'i.status',
      'i.total',
      'i.created_at',
      'i.updated_at',
    )
}

/** Loads the lines of every invoice of `rows` in one query (the report's `prefetch_related`). */
async function withLines(
  db: Knex,
  companyId: number,
  rows: Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return rows
  const lines = (await db('invoice_lines')
    .where('company_id', companyId)
    .whereIn(
      'invoice_id',
      rows.map((r) => toInt(r.id)),
    )
    .orderBy('id')
    .select('id', 'invoice_id', 'product_id', 'quantity', 'unit_price')) as Record<string, unknown>[]
  const byInvoice = new Map<number, Record<string, unknown>[]>()
  for (const l of lines) {
    const key = toInt(l.invoice_id)
    const list = byInvoice.get(key) ?? []
    list.push({
      id: toInt(l.id),
      product_id: toInt(l.product_id),
      quantity: toInt(l.quantity),
      unit_price: toMoney(l.unit_price),
    })
    byInvoice.set(key, list)
  }
  return rows.map((r) => ({ ...r, lines: byInvoice.get(toInt(r.id)) ?? [] }))
}

/** An invoice as the API shows it (with its lines). */
export function serializeInvoice(r: Record<string, unknown>): Record<string, unknown> {
  return {
    id: toInt(r.id),
    shop_id: toInt(r.shop_id),
    shop_name: r.shop_name,
    number: r.number,
    type: r.type,
    status: r.status,
    total: toMoney(r.total),
    lines: r.lines ?? [],
    created_at: toIso(r.created_at),
    updated_at: toIso(r.updated_at),
  }
}

function cents(amount: string): bigint {
  const [whole = '0', frac = ''] = amount.split('.')
  return BigInt(whole) * 100n + BigInt(`${frac}00`.slice(0, 2))
}

function fromCents(c: bigint): string {
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`
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
    const b = parseBody(createSchema, req.body)
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
    await invalidate(this.deps, companyId, ['invoices'])
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
    const b = parseBody(issueSchema, req.body)
    const { db } = this.deps
    await assertOwned(db, companyId, 'warehouses', 'warehouse_id', [b.warehouse_id])
    await inTransaction(db, async (trx) => {
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
        await applyMovement(trx, {
          companyId,
          productId: toInt(l.product_id),
          warehouseId: b.warehouse_id,
          type: ISSUE_MOVEMENT[invoice.type],
          quantity: toInt(l.quantity),
          reason: `invoice:${id}`,
        })
      }
    })
    await invalidate(this.deps, companyId, ['invoices', 'stocks', 'stock-movements'])
    res.json(await this.load(companyId, id))
  }

  async pay(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    await inTransaction(this.deps.db, (trx) => this.transition(trx, companyId, id, ['issued'], 'paid'))
    await invalidate(this.deps, companyId, ['invoices'])
    res.json(await this.load(companyId, id))
  }

  async cancel(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    const { db } = this.deps
    await inTransaction(db, async (trx) => {
      await this.transition(trx, companyId, id, ['draft', 'issued'], 'cancelled')
      // Reverse what issuing moved (nothing for a draft), in the same transaction.
      const moved = (await trx('stock_movements')
        .where({ company_id: companyId, reason: `invoice:${id}` })
        .orderBy('product_id')
        .select('product_id', 'warehouse_id', 'type', 'quantity')) as Record<string, unknown>[]
      for (const m of moved) {
        await applyMovement(trx, {
          companyId,
          productId: toInt(m.product_id),
          warehouseId: toInt(m.warehouse_id),
          type: m.type === 'out' ? 'in' : 'out',
          quantity: toInt(m.quantity),
          reason: `invoice:${id}:cancel`,
        })
      }
    })
    await invalidate(this.deps, companyId, ['invoices', 'stocks', 'stock-movements'])
    res.json(await this.load(companyId, id))
  }
}

/** The invoice routes. */
export function invoiceRoutes(c: InvoicesController): RouteSpec[] {
  const tag = 'invoices'
  const missing = 'No such invoice in this company'
  const action = (
    name: 'issue' | 'pay' | 'cancel',
    summary: string,
    conflict: string,
    body?: z.ZodType,
  ): RouteSpec => ({
    method: 'post',
    path: `/api/invoices/:id/${name}`,
    operationId: `${name}Invoice`,
    summary,
    tag,
    auth: 'api_key',
    ...(body ? { body } : {}),
    idempotent: true,
    responses: { 200: 'The invoice after the change', 404: missing, 409: conflict },
    handler: (req, res) => c[name](req, res),
  })
  return [
    {
      method: 'get',
      path: '/api/invoices',
      operationId: 'listInvoices',
      summary: 'List invoices with their lines (lines batch-loaded: one query per page)',
      tag,
      auth: 'api_key',
      list: invoiceList,
      responses: { 200: 'A page of invoices' },
      handler: (req, res) => c.list(req, res),
    },
    {
      method: 'post',
      path: '/api/invoices',
      operationId: 'createInvoice',
      summary: 'Create a draft invoice; a line without unit_price takes the product’s sale price',
      tag,
      auth: 'api_key',
      body: createSchema,
      idempotent: true,
      responses: { 201: 'The draft invoice with its lines' },
      handler: (req, res) => c.create(req, res),
    },
    {
      method: 'get',
      path: '/api/invoices/:id',
      operationId: 'getInvoice',
      summary: 'One invoice with its lines',
      tag,
      auth: 'api_key',
      responses: { 200: 'The invoice', 404: missing },
      handler: (req, res) => c.detail(req, res),
    },
    action(
      'issue',
      'Issue a draft: a sale takes its lines out of the warehouse (a purchase or credit note brings them in), in one transaction',
      'invalid_state (not a draft) or insufficient_stock (nothing was written)',
      issueSchema,
    ),
    action('pay', 'Mark an issued invoice paid', 'invalid_state (not issued)'),
    action(
      'cancel',
      'Cancel a draft or issued invoice; an issued one has its stock movements reversed in the same transaction',
      'invalid_state (paid or already cancelled) or insufficient_stock (a purchase whose goods left)',
    ),
  ]
}
