import { generateStoreData, SchemaError, STORE_TABLES, storeMigrations } from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { beforeAll, describe, expect, it } from 'vitest'

const SHAPE = { companies: 3, productsPerCompany: 120, invoicesPerCompany: 8, batchSize: 100 } as const

async function snapshot(knex: Knex): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {}
  for (const table of STORE_TABLES) out[table] = await knex(table).orderBy('id')
  return out
}

describe.each(DIALECTS)('data generator on %s', (dialect) => {
  const a = useDatabase(dialect)
  const b = useDatabase(dialect)
  const c = useDatabase(dialect)
  const progress: { done: number; total: number }[] = []

  beforeAll(async () => {
    for (const db of [a, b, c]) await db.knex.migrate.latest({ migrationSource: storeMigrations() })
    await generateStoreData(a.knex, { ...SHAPE, seed: 42, onProgress: (p) => progress.push(p) })
    await generateStoreData(b.knex, { ...SHAPE, seed: 42, concurrency: 3 })
    await generateStoreData(c.knex, { ...SHAPE, seed: 43 })
  })

  it('writes the same rows, ids included, for the same seed (whatever the concurrency)', async () => {
    const first = await snapshot(a.knex)
    expect(first.products).toHaveLength(360)
    expect(await snapshot(b.knex)).toEqual(first)
  })

  it('writes other rows for another seed', async () => {
    const names = async (db: Knex) => (await db('products').orderBy('id').pluck('name')).join('|')
    expect(await names(c.knex)).not.toBe(await names(a.knex))
  })

  it('writes the requested shape, with every stock equal to the sum of its movements', async () => {
    const k = a.knex
    const count = async (t: string) => Number((await k(t).count({ n: '*' }).first())?.n)
    expect(await count('companies')).toBe(3)
    expect(await count('products')).toBe(360)
    expect(await count('stocks')).toBe(360)
    expect(await count('stock_movements')).toBe(720)
    expect(await count('invoices')).toBe(24)
    const signed = k.raw("sum(case when m.type = 'out' then -m.quantity else m.quantity end)")
    const mismatched = await k('stocks as s')
      .join('stock_movements as m', function () {
        this.on('m.product_id', 's.product_id').andOn('m.warehouse_id', 's.warehouse_id')
      })
      .groupBy('s.id', 's.quantity')
      .havingRaw(`${signed.toQuery()} <> s.quantity`)
      .select('s.id')
    expect(mismatched).toEqual([])
  })

  it('gives keyset pagination ties: rows of one company sharing a created_at', async () => {
    const [row] = (await a
      .knex('products')
      .where({ company_id: 1 })
      .select(a.knex.raw('count(*) as n, count(distinct created_at) as d'))) as { n: number; d: number }[]
    expect(Number(row?.n)).toBeGreaterThan(Number(row?.d))
  })

  it('reports progress up to the rows written', () => {
    const last = progress.at(-1)
    expect(progress.length).toBeGreaterThan(5)
    expect(last?.done).toBe(last?.total)
    expect(progress.every((p, i) => i === 0 || p.done > (progress[i - 1]?.done ?? 0))).toBe(true)
  })

  it('appends after existing rows on a second run', async () => {
    const result = await generateStoreData(c.knex, { ...SHAPE, companies: 1, seed: 1 })
    expect(result.companyIds).toEqual([4])
    // The id generator (a PostgreSQL sequence too) has moved past the generated ids.
    await c.knex('companies').insert({ name: 'After', email: 'after@x.test' })
    expect(Number((await c.knex('companies').where({ email: 'after@x.test' }).first('id'))?.id)).toBe(5)
  })

  it('refuses a negative count with a typed error', async () => {
    await expect(generateStoreData(a.knex, { productsPerCompany: -1 })).rejects.toSatisfy(
      (e) => e instanceof SchemaError && e.code === 'invalid_option',
    )
  })
})
