import type { Knex } from 'knex'

const TABLES = [
  'products',
  'categories',
  'suppliers',
  'warehouses',
  'shops',
  'stocks',
  'stock_movements',
  'invoices',
]

/**
 * A fingerprint of everything the companies own: row counts per table and, for products, a digest
 * of every row's mutable fields. Two equal census strings mean nothing was written in between.
 */
export async function rowCensus(db: Knex): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of TABLES) {
    const [row] = (await db(t).count({ n: '*' })) as { n: unknown }[]
    out[t] = String(row?.n)
  }
  const products = (await db('products')
    .orderBy('id')
    .select('id', 'company_id', 'name', 'sku', 'sale_price', 'is_active', 'category_id')) as Record<
    string,
    unknown
  >[]
  out.productRows = products.map((p) => Object.values(p).join('/')).join(';')
  return out
}

/** How many tables' counts or digests differ between two censuses. */
export function censusChanges(before: Record<string, string>, after: Record<string, string>): number {
  return Object.keys(before).filter((k) => before[k] !== after[k]).length
}
