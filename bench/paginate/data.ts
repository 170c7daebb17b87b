// Builds (once) the benchmark data set: 1,000,000 products over 20 companies, company 1 holding 400,000,
// each row joined to a category and a supplier. Kept between runs: rebuilt only when the count is wrong.
import knexFactory, { type Knex } from 'knex'

export const DATABASE = 'hotpath_bench_paginate'
export const TOTAL = 1_000_000
export const COMPANY_ROWS = 400_000
export const SEEK_INDEX = 'products_company_created'

export type BenchDialect = 'mysql' | 'postgres'

/** Connects to the bench database on `url`'s server, creating it when missing. */
export async function connect(dialect: BenchDialect, url: string): Promise<Knex> {
  const client = dialect === 'mysql' ? 'mysql2' : 'pg'
  const admin = knexFactory({ client, connection: url, pool: { min: 0, max: 1 } })
  try {
    if (dialect === 'mysql') await admin.raw('create database if not exists ??', [DATABASE])
    else {
      const found = await admin.raw('select 1 from pg_database where datname = ?', [DATABASE])
      if (found.rows.length === 0) await admin.raw('create database ??', [DATABASE])
    }
  } finally {
    await admin.destroy()
  }
  const target = new URL(url)
  target.pathname = `/${DATABASE}`
  return knexFactory({ client, connection: target.href, pool: { min: 0, max: 8 } })
}

/** Creates and fills the tables unless they already hold the full data set; returns seconds spent. */
export async function ensureData(knex: Knex, dialect: BenchDialect): Promise<number> {
  if (await knex.schema.hasTable('products')) {
    const [row] = await knex('products').count({ n: '*' })
    if (Number(row?.n) === TOTAL) {
      // PostgreSQL: index-only scans need the visibility map, which a fresh bulk load lacks until
      // (auto)vacuum runs; a no-op once done.
      if (dialect === 'postgres') await knex.raw('vacuum analyze products')
      return 0
    }
  }
  const started = performance.now()
  for (const t of ['products', 'categories', 'suppliers']) await knex.schema.dropTableIfExists(t)
  for (const t of ['categories', 'suppliers']) {
    await knex.schema.createTable(t, (b) => {
      b.integer('id').primary()
      b.integer('company_id').notNullable()
      b.string('name', 40).notNullable()
    })
  }
  await knex.schema.createTable('products', (b) => {
    b.increments('id').primary()
    b.integer('company_id').notNullable()
    b.integer('category_id').notNullable()
    b.integer('supplier_id').notNullable()
    b.string('name', 60).notNullable()
    b.string('sku', 24).notNullable()
    b.decimal('sale_price', 10, 2).notNullable()
    b.boolean('is_active').notNullable()
    b.datetime('created_at', { precision: 0 }).notNullable()
    b.index(['company_id', 'created_at', 'id'], SEEK_INDEX)
  })
  // One INSERT … SELECT per table from the database's own number generator. created_at has minute
  // precision, so about two rows share each value and the id tiebreaker matters.
  const numbers = (n: number) =>
    dialect === 'mysql' ? `(select seq as g from seq_1_to_${n}) as s` : `generate_series(1, ${n}) as s(g)`
  const created =
    dialect === 'mysql'
      ? "timestamp '2022-01-01 00:00:00' + interval ((g * 7919) % 525600) minute"
      : "timestamp '2022-01-01 00:00:00' + ((g::bigint * 7919) % 525600) * interval '1 minute'"
  const cat = (t: string, n: number) =>
    knex.raw(
      `insert into ${t} (id, company_id, name) select g, 1 + g % 20, concat('${t} ', g) from ${numbers(n)}`,
    )
  await cat('categories', 400)
  await cat('suppliers', 200)
  await knex.raw(
    `insert into products (company_id, category_id, supplier_id, name, sku, sale_price, is_active, created_at)
     select case when g % 5 < 2 then 1 else 2 + g % 19 end, 1 + g % 400, 1 + g % 200, concat('product ', g),
            concat('SKU-', g), (g % 10000) / 100.0, ${dialect === 'mysql' ? 'g % 7 > 0' : '(g % 7 > 0)'}, ${created}
     from ${numbers(TOTAL)}`,
  )
  await knex.raw(dialect === 'mysql' ? 'analyze table products, categories, suppliers' : 'vacuum analyze')
  return (performance.now() - started) / 1000
}
