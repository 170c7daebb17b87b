import type { Knex } from 'knex'
import type { HotQuery } from './audit-indexes.js'

const PAGE = 51 // a page of 50 plus one row to know whether there is a next page

async function sampleId(knex: Knex, table: string, companyId: number): Promise<number> {
  const row = (await knex(table).where({ company_id: companyId }).min({ id: 'id' }).first()) as
    | { id: number | string | null }
    | undefined
  return Number(row?.id ?? 0)
}

async function sampleRow(knex: Knex, companyId: number): Promise<{ createdAt: Date; id: number }> {
  const row = (await knex('products')
    .where({ company_id: companyId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .offset(PAGE - 1)
    .first('created_at', 'id')) as { created_at: Date | number | string; id: number } | undefined
  return { createdAt: new Date(row?.created_at ?? 0), id: Number(row?.id ?? 0) }
}

/**
 * The store API's hot queries for one company, ready for {@link auditIndexes}: every list route's
 * first page and next keyset page in its default order, its filters and orderings, the counts,
 * the detail lookups and the write-path lookups (stock row, API key, idempotency key). Parameter
 * values (a category, a product, a cursor) are read from the company's own rows.
 */
export async function storeHotQueries(knex: Knex, companyId: number): Promise<HotQuery[]> {
  const [categoryId, productId, warehouseId, shopId, invoiceId] = await Promise.all(
    ['categories', 'products', 'warehouses', 'shops', 'invoices'].map((t) => sampleId(knex, t, companyId)),
  )
  const cursor = await sampleRow(knex, companyId)
  const c = { company_id: companyId }
  const newest = (col: string) => [
    { column: col, order: 'desc' as const },
    { column: 'id', order: 'desc' as const },
  ]
  const since = cursor.createdAt
  const stock = (await knex('stocks').where(c).first('product_id', 'warehouse_id')) as
    | { product_id: number; warehouse_id: number }
    | undefined
  const q: [string, Knex.QueryBuilder][] = [
    ['products: list, newest first', knex('products').where(c).orderBy(newest('created_at')).limit(PAGE)],
    [
      'products: keyset next page',
      knex('products')
        .where(c)
        .andWhere((w) =>
          w
            .where('created_at', '<', cursor.createdAt)
            .orWhere((e) => e.where('created_at', '=', cursor.createdAt).andWhere('id', '<', cursor.id)),
        )
        .orderBy(newest('created_at'))
        .limit(PAGE),
    ],
    ['products: count', knex('products').where(c).count({ n: '*' })],
    ['products: ordering=name', knex('products').where(c).orderBy(['name', 'id']).limit(PAGE)],
    [
      'products: search (name prefix)',
      knex('products').where(c).andWhere('name', 'like', 'Sm%').orderBy(['name', 'id']).limit(PAGE),
    ],
    [
      'products: min_price/max_price',
      knex('products')
        .where(c)
        .whereBetween('sale_price', [10, 20])
        .orderBy(['sale_price', 'id'])
        .limit(PAGE),
    ],
    [
      'products: category filter',
      knex('products')
        .where({ ...c, category_id: categoryId })
        .orderBy(newest('created_at'))
        .limit(PAGE),
    ],
    ['products: detail', knex('products').where({ ...c, id: productId })],
    ['stocks: list', knex('stocks').where(c).orderBy(newest('updated_at')).limit(PAGE)],
    [
      'stocks: max_quantity',
      knex('stocks').where(c).andWhere('quantity', '<=', 5).orderBy(['quantity', 'id']).limit(PAGE),
    ],
    [
      'stocks: row for a movement',
      knex('stocks').where({
        product_id: stock?.product_id ?? productId,
        warehouse_id: stock?.warehouse_id ?? warehouseId,
      }),
    ],
    [
      'stock_movements: list (keyset)',
      knex('stock_movements').where(c).orderBy(newest('created_at')).limit(PAGE),
    ],
    [
      'stock_movements: since',
      knex('stock_movements')
        .where(c)
        .andWhere('created_at', '>=', since)
        .orderBy(newest('created_at'))
        .limit(PAGE),
    ],
    [
      'stock_movements: product filter',
      knex('stock_movements')
        .where({ ...c, product_id: productId })
        .orderBy(newest('created_at'))
        .limit(PAGE),
    ],
    ['invoices: list', knex('invoices').where(c).orderBy(newest('created_at')).limit(PAGE)],
    ['invoices: count', knex('invoices').where(c).count({ n: '*' })],
    [
      'invoices: shop filter',
      knex('invoices')
        .where({ ...c, shop_id: shopId })
        .orderBy(newest('created_at'))
        .limit(PAGE),
    ],
    ['invoice_lines: of an invoice', knex('invoice_lines').where({ invoice_id: invoiceId })],
    ['shops: list', knex('shops').where(c).orderBy(newest('created_at')).limit(PAGE)],
    ['warehouses: list', knex('warehouses').where(c).orderBy(['name', 'id']).limit(PAGE)],
    ['categories: list', knex('categories').where(c).orderBy(['name', 'id']).limit(PAGE)],
    ['api_keys: authenticate', knex('api_keys').where({ key_hash: 'f'.repeat(64) })],
    [
      'idempotency_keys: replay lookup',
      knex('idempotency_keys').where({ ...c, idempotency_key: '00000000-0000-0000-0000-000000000000' }),
    ],
  ]
  return q.map(([name, query]) => ({ name, query }))
}
