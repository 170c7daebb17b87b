import { indexName } from '@hotpath/schema'
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import { columnMoves } from '../api/cache-policy.js'
import { invalidate, PAGE_QUERY, withCachedReads } from '../api/cached-read.js'
import { dateParam, idBody, idParam, quantityBody } from '../api/filters.js'
import { ID, TIMESTAMP } from '../api/json-fields.js'
import { type ListContext, sendList } from '../api/list-response.js'
import { assertOwned } from '../api/owned.js'
import type { ListSpec, NamedSchema, RouteSpec } from '../api/route-spec.js'
import { inTransaction } from '../db/retry.js'
import { applyMovement, type MovementType } from '../db/stock-ledger.js'
import { toInt, toIntOrNull, toTextOrNull, toTimestamp } from '../db/values.js'
import { NotFoundError } from '../errors.js'
import { companyOf } from '../http/request-context.js'
import { parseBody, parseId } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'

const createSchema = z
  .strictObject({
    product_id: idBody,
    warehouse_id: idBody,
    type: z.enum(['in', 'out', 'adjust']),
    quantity: quantityBody,
    reason: z.string().trim().max(255).nullable().optional(),
  })
  .refine((b) => (b.type === 'adjust' ? b.quantity !== 0 : b.quantity > 0), {
    path: ['quantity'],
    message: 'in and out take a positive quantity; adjust a non-zero signed one',
  })

const filters = z.object({
  product: idParam.optional(),
  warehouse: idParam.optional(),
  type: z.enum(['in', 'out', 'adjust']).optional(),
  since: dateParam.optional(),
  until: dateParam.optional(),
})
type Filters = z.output<typeof filters>

/** How long a movement read stays cached; every write that adds or removes movements invalidates it. */
const CACHE_TTL = '1m'

/** How `GET /api/stock-movements` pages: `fast` (keyset), newest first. */
export const movementList: ListSpec = {
  resource: 'stock-movements',
  seekIndex: {
    name: indexName('stock_movements', ['company_id', 'created_at', 'id']),
    unlessFilters: ['product', 'warehouse'],
  },
  strategy: 'fast',
  ordering: ['created_at', 'quantity', 'id'],
  defaultOrdering: ['-created_at'],
  filters,
}

/** A movement as the API sends it. */
const movementRow = z.object({
  id: ID,
  product_id: ID,
  warehouse_id: ID,
  type: createSchema.shape.type,
  quantity: z.int(),
  reason: z.string().nullable(),
  user_id: ID.nullable(),
  created_at: TIMESTAMP,
})
/** The OpenAPI `StockMovement` schema: what {@link serializeMovement} returns. */
export const movementBody: NamedSchema = { name: 'StockMovement', schema: movementRow }
/** `POST /api/stock-movements` answers the movement and its stock's quantity after it. */
const createdBody: NamedSchema = {
  name: 'StockMovementCreated',
  schema: movementRow.extend({ stock_quantity: z.int().nonnegative() }),
}

const COLUMNS = ['id', 'product_id', 'warehouse_id', 'type', 'quantity', 'reason', 'user_id', 'created_at']

function movementQuery(db: Knex, companyId: number): Knex.QueryBuilder {
  return db('stock_movements')
    .where('company_id', companyId)
    .select(...COLUMNS)
}

/** A movement as the API shows it. */
export function serializeMovement(r: Record<string, unknown>): z.output<typeof movementRow> {
  return {
    id: toInt(r.id),
    product_id: toInt(r.product_id),
    warehouse_id: toInt(r.warehouse_id),
    type: r.type as MovementType,
    quantity: toInt(r.quantity),
    reason: toTextOrNull(r.reason),
    user_id: toIntOrNull(r.user_id),
    created_at: toTimestamp(r.created_at),
  }
}

/** Stock movements: the ledger. Only accepted movements exist; each one changed its stock atomically. */
export class StockMovementsController {
  constructor(
    private readonly deps: AppDeps,
    private readonly ctx: ListContext,
  ) {}

  async list(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    await sendList<Filters>(
      req,
      res,
      this.ctx,
      movementList,
      (f) => {
        const q = movementQuery(this.deps.db, companyId)
        if (f.product !== undefined) q.where('product_id', f.product)
        if (f.warehouse !== undefined) q.where('warehouse_id', f.warehouse)
        if (f.type !== undefined) q.where('type', f.type)
        if (f.since !== undefined) q.where('created_at', '>=', f.since)
        if (f.until !== undefined) q.where('created_at', '<', f.until)
        return q
      },
      serializeMovement,
    )
  }

  async detail(req: Request, res: Response): Promise<void> {
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError('stock movement', String(req.params.id))
    const row = (await movementQuery(this.deps.db, companyOf(req)).where('id', id).first()) as
      | Record<string, unknown>
      | undefined
    if (!row) throw new NotFoundError('stock movement', id)
    res.json(serializeMovement(row))
  }

  async create(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const b = parseBody(createSchema, req.body)
    const { db } = this.deps
    await assertOwned(db, companyId, 'products', 'product_id', [b.product_id])
    await assertOwned(db, companyId, 'warehouses', 'warehouse_id', [b.warehouse_id])
    const applied = await inTransaction(db, (trx) =>
      applyMovement(trx, {
        companyId,
        productId: b.product_id,
        warehouseId: b.warehouse_id,
        type: b.type,
        quantity: b.quantity,
        reason: b.reason ?? null,
      }),
    )
    // The reads showing this stock and the stock lists ordered or filtered by its quantity or
    // update time (no product read shows stock quantities); the movement lists gain a row.
    const after = { quantity: applied.stockQuantity, updated_at: applied.updatedAt }
    await invalidate(this.deps, companyId, [
      {
        resource: 'stocks',
        ids: [applied.stockId],
        columns: ['quantity', 'updated_at'],
        ranges: columnMoves(applied.before, after, ['quantity', 'updated_at']),
        membership: applied.stockCreated,
      },
      { resource: 'stock-movements', ids: [applied.movementId], membership: true },
    ])
    const row = (await movementQuery(db, companyId).where('id', applied.movementId).first()) as Record<
      string,
      unknown
    >
    res.status(201).json({ ...serializeMovement(row), stock_quantity: applied.stockQuantity })
  }
}

/**
 * The movement controller with its reads cached per company for {@link CACHE_TTL} (lists and
 * details; a movement, an invoice issued or cancelled, a product deleted and a warehouse changed
 * invalidate them).
 */
export function stockMovementsController(deps: AppDeps, ctx: ListContext): StockMovementsController {
  return withCachedReads(StockMovementsController, deps, ctx, {
    resource: 'stock-movements',
    ttl: CACHE_TTL,
    query: [...PAGE_QUERY, ...Object.keys(filters.shape)],
    list: movementList,
  })
}

/** The stock movement routes. */
export function stockMovementRoutes(c: StockMovementsController): RouteSpec[] {
  const tag = 'stock-movements'
  return [
    {
      method: 'get',
      path: '/api/stock-movements',
      operationId: 'listStockMovements',
      summary: 'List accepted stock movements (keyset pagination: follow next_cursor)',
      tag,
      auth: 'api_key',
      list: movementList,
      returns: movementBody,
      cacheTtl: CACHE_TTL,
      responses: { 200: 'A keyset page of movements' },
      handler: (req, res) => c.list(req, res),
    },
    {
      method: 'post',
      path: '/api/stock-movements',
      operationId: 'createStockMovement',
      summary:
        'Record a movement; the stock changes atomically (first movement creates the stock row). ' +
        '`adjust` takes a signed quantity.',
      tag,
      auth: 'api_key',
      body: createSchema,
      idempotent: true,
      returns: createdBody,
      responses: {
        201: 'The accepted movement, with the stock quantity after it',
        409: 'insufficient_stock: an out (or negative adjust) larger than the stock; stock_limit_exceeded: the stock would pass 2^31−1; nothing was written',
      },
      handler: (req, res) => c.create(req, res),
    },
    {
      method: 'get',
      path: '/api/stock-movements/:id',
      operationId: 'getStockMovement',
      summary: 'One movement',
      tag,
      auth: 'api_key',
      returns: movementBody,
      cacheTtl: CACHE_TTL,
      responses: { 200: 'The movement', 404: 'No such movement in this company' },
      handler: (req, res) => c.detail(req, res),
    },
  ]
}
