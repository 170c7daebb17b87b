import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import { columnMoves } from '../api/cache-policy.js'
import { invalidate, PAGE_QUERY, withCachedReads } from '../api/cached-read.js'
import { boolParam, idBody, idParam, moneyBody, moneyParam } from '../api/filters.js'
import { ID, MONEY, TIMESTAMP } from '../api/json-fields.js'
import { type ListContext, sendList } from '../api/list-response.js'
import { assertOwned } from '../api/owned.js'
import type { ListSpec, NamedSchema, RouteSpec } from '../api/route-spec.js'
import { insertRow } from '../db/insert-row.js'
import { inTransaction } from '../db/retry.js'
import { toBool, toInt, toIntOrNull, toMoney, toTextOrNull, toTimestamp } from '../db/values.js'
import { NotFoundError } from '../errors.js'
import { companyOf } from '../http/request-context.js'
import { parseBody, parseId } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(255),
  sku: z.string().trim().min(1).max(64),
  category_id: idBody.nullable().optional(),
  supplier_id: idBody.nullable().optional(),
  sale_price: moneyBody,
  cost_price: moneyBody.optional(),
  is_active: z.boolean().optional(),
})
const updateSchema = createSchema.partial()

/** A product as the API sends it (category and supplier names joined in). */
const productRow = z.object({
  id: ID,
  name: createSchema.shape.name,
  sku: createSchema.shape.sku,
  category_id: ID.nullable(),
  category_name: z.string().nullable(),
  supplier_id: ID.nullable(),
  supplier_name: z.string().nullable(),
  sale_price: MONEY,
  cost_price: MONEY,
  is_active: z.boolean(),
  created_at: TIMESTAMP,
  updated_at: TIMESTAMP,
})
/** The OpenAPI `Product` schema: what {@link serializeProduct} returns. */
export const productBody: NamedSchema = { name: 'Product', schema: productRow }

const filters = z.object({
  category: idParam.optional(),
  supplier: idParam.optional(),
  is_active: boolParam.optional(),
  search: z.string().min(1).max(255).optional(),
  min_price: moneyParam.optional(),
  max_price: moneyParam.optional(),
})
type Filters = z.output<typeof filters>

/** How `GET /api/products` pages (`cached`: the COUNT is kept in the cache). */
export const productList: ListSpec = {
  resource: 'products',
  strategy: 'cached',
  ordering: ['name', 'sku', 'sale_price', 'created_at', 'updated_at', 'id'],
  defaultOrdering: ['-created_at'],
  filters,
  lookups: productNames,
}
const cacheQuery = [...PAGE_QUERY, ...Object.keys(filters.shape)]

/** The orderable number and timestamp columns an update can change (see `columnMoves`). */
const RANGED_PRODUCT_COLUMNS = ['sale_price', 'updated_at']

/** The product's own columns every read returns. */
const PRODUCT_COLUMNS = [
  'p.id',
  'p.name',
  'p.sku',
  'p.category_id',
  'p.supplier_id',
  'p.sale_price',
  'p.cost_price',
  'p.is_active',
  'p.created_at',
  'p.updated_at',
]

/** The category and supplier names of products (`p`), joined in. */
function productNames(q: Knex.QueryBuilder): void {
  q.leftJoin('categories as c', 'c.id', 'p.category_id')
    .leftJoin('suppliers as s', 's.id', 'p.supplier_id')
    .select('c.name as category_name', 's.name as supplier_name')
}

/** A company's products, their own columns only: lists join the names to the page's rows alone. */
function productRows(db: Knex, companyId: number): Knex.QueryBuilder {
  return db('products as p').where('p.company_id', companyId).select(PRODUCT_COLUMNS)
}

/** A company's products with the category and supplier names joined in (one query). */
function productQuery(db: Knex, companyId: number): Knex.QueryBuilder {
  const q = productRows(db, companyId)
  productNames(q)
  return q
}

function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`)
}

function applyFilters(q: Knex.QueryBuilder, f: Filters): Knex.QueryBuilder {
  if (f.category !== undefined) q.where('p.category_id', f.category)
  if (f.supplier !== undefined) q.where('p.supplier_id', f.supplier)
  if (f.is_active !== undefined) q.where('p.is_active', f.is_active)
  if (f.search !== undefined) q.whereRaw("?? like ? escape '!'", ['p.name', `${escapeLike(f.search)}%`])
  if (f.min_price !== undefined) q.where('p.sale_price', '>=', f.min_price)
  if (f.max_price !== undefined) q.where('p.sale_price', '<=', f.max_price)
  return q
}

/** A product as the API shows it. */
export function serializeProduct(r: Record<string, unknown>): z.output<typeof productRow> {
  return {
    id: toInt(r.id),
    name: String(r.name),
    sku: String(r.sku),
    category_id: toIntOrNull(r.category_id),
    category_name: toTextOrNull(r.category_name),
    supplier_id: toIntOrNull(r.supplier_id),
    supplier_name: toTextOrNull(r.supplier_name),
    sale_price: toMoney(r.sale_price),
    cost_price: toMoney(r.cost_price),
    is_active: toBool(r.is_active),
    created_at: toTimestamp(r.created_at),
    updated_at: toTimestamp(r.updated_at),
  }
}

/**
 * Products: reads, and writes that name what they changed (see `api/cache-policy.ts`). Build it
 * with {@link productsController}, which caches its reads.
 */
export class ProductsController {
  constructor(
    private readonly deps: AppDeps,
    private readonly ctx: ListContext,
  ) {}

  private async load(companyId: number, id: number): Promise<z.output<typeof productRow>> {
    const { db } = this.deps
    const row = (await productQuery(db, companyId).where('p.id', id).first()) as
      | Record<string, unknown>
      | undefined
    if (!row) throw new NotFoundError('product', id)
    return serializeProduct(row)
  }

  private async checkRefs(companyId: number, b: z.output<typeof updateSchema>): Promise<void> {
    const { db } = this.deps
    if (typeof b.category_id === 'number')
      await assertOwned(db, companyId, 'categories', 'category_id', [b.category_id])
    if (typeof b.supplier_id === 'number')
      await assertOwned(db, companyId, 'suppliers', 'supplier_id', [b.supplier_id])
  }

  async list(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    await sendList<Filters>(
      req,
      res,
      this.ctx,
      productList,
      (f) => applyFilters(productRows(this.deps.db, companyId), f),
      serializeProduct,
    )
  }

  async detail(req: Request, res: Response): Promise<void> {
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError('product', String(req.params.id))
    res.json(await this.load(companyOf(req), id))
  }

  async create(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const b = parseBody(createSchema, req.body)
    await this.checkRefs(companyId, b)
    const now = new Date()
    const id = await insertRow(this.deps.db, 'products', {
      company_id: companyId,
      name: b.name,
      sku: b.sku,
      category_id: b.category_id ?? null,
      supplier_id: b.supplier_id ?? null,
      sale_price: b.sale_price,
      cost_price: b.cost_price ?? '0',
      is_active: b.is_active ?? true,
      created_at: now,
      updated_at: now,
    })
    await invalidate(this.deps, companyId, [{ resource: 'products', ids: [id], membership: true }])
    res.status(201).json(await this.load(companyId, id))
  }

  async update(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError('product', String(req.params.id))
    const b = parseBody(updateSchema, req.body)
    await this.checkRefs(companyId, b)
    const after = { ...b, updated_at: new Date() }
    const columns = Object.keys(after)
    // The old values of the columns lists are ordered by, read under the row's lock: the pages
    // the product moved across are the ones to drop.
    const before = await inTransaction(this.deps.db, async (trx) => {
      const where = { id, company_id: companyId }
      const row = (await trx('products')
        .where(where)
        .forUpdate()
        .first(...RANGED_PRODUCT_COLUMNS)) as Record<string, unknown> | undefined
      if (row) await trx('products').where(where).update(after)
      return row
    })
    if (before === undefined) throw new NotFoundError('product', id)
    // The reads showing this product (its lists' pages, its detail, the stock pages joining it
    // in) and the lists ordered or filtered by a changed column.
    const ranges = columnMoves(before, after, columns)
    await invalidate(this.deps, companyId, [{ resource: 'products', ids: [id], columns, ranges }])
    res.json(await this.load(companyId, id))
  }

  async remove(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError('product', String(req.params.id))
    const deleted = await inTransaction(this.deps.db, (trx) =>
      trx('products').where({ id, company_id: companyId }).delete(),
    )
    if (deleted === 0) throw new NotFoundError('product', id)
    await invalidate(this.deps, companyId, [
      { resource: 'products', ids: [id], membership: true, deleted: true },
      'stocks',
      'stock-movements',
    ])
    res.status(204).end()
  }
}

/** The products controller with its list and detail cached per company for 5 minutes. */
export function productsController(deps: AppDeps, ctx: ListContext): ProductsController {
  return withCachedReads(ProductsController, deps, ctx, {
    resource: 'products',
    ttl: '5m',
    query: cacheQuery,
    list: productList,
  })
}

/** The product routes. */
export function productRoutes(c: ReturnType<typeof productsController>): RouteSpec[] {
  const tag = 'products'
  return [
    {
      method: 'get',
      path: '/api/products',
      operationId: 'listProducts',
      summary: 'List products (category and supplier names joined in)',
      tag,
      auth: 'api_key',
      list: productList,
      returns: productBody,
      cacheTtl: '5m',
      responses: { 200: 'A page of products' },
      handler: (req, res) => c.list(req, res),
    },
    {
      method: 'post',
      path: '/api/products',
      operationId: 'createProduct',
      summary: 'Create a product',
      tag,
      auth: 'api_key',
      body: createSchema,
      idempotent: true,
      returns: productBody,
      responses: { 201: 'The created product', 409: 'The SKU is taken in this company' },
      handler: (req, res) => c.create(req, res),
    },
    {
      method: 'get',
      path: '/api/products/:id',
      operationId: 'getProduct',
      summary: 'One product',
      tag,
      auth: 'api_key',
      cacheTtl: '5m',
      returns: productBody,
      responses: { 200: 'The product', 404: 'No such product in this company' },
      handler: (req, res) => c.detail(req, res),
    },
    {
      method: 'patch',
      path: '/api/products/:id',
      operationId: 'updateProduct',
      summary: 'Change a product',
      tag,
      auth: 'api_key',
      body: updateSchema,
      returns: productBody,
      responses: { 200: 'The changed product', 404: 'No such product in this company' },
      handler: (req, res) => c.update(req, res),
    },
    {
      method: 'delete',
      path: '/api/products/:id',
      operationId: 'deleteProduct',
      summary: 'Delete a product (its stocks and movements go with it)',
      tag,
      auth: 'api_key',
      responses: {
        204: 'Deleted',
        404: 'No such product in this company',
        409: 'Invoiced products cannot go',
      },
      handler: (req, res) => c.remove(req, res),
    },
  ]
}
