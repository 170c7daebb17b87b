import { listIndexes, REPORT_INDEXES, STORE_COLUMNS, STORE_TABLES, storeMigrations } from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import { describe, expect, it } from 'vitest'

describe.each(DIALECTS)('store migrations on %s', (dialect) => {
  const db = useDatabase(dialect)
  const source = () => ({ migrationSource: storeMigrations() })

  async function columnsOf(table: string): Promise<string[]> {
    return Object.keys(await db.knex(table).columnInfo()).sort()
  }

  it('goes up, down and up again, with every table and column of the contract', async () => {
    const [, ran] = (await db.knex.migrate.latest(source())) as [number, string[]]
    expect(ran).toEqual(['20260101000001_store_tables', '20260101000002_store_indexes'])
    for (const table of STORE_TABLES) {
      expect(await columnsOf(table)).toEqual(Object.values(STORE_COLUMNS[table]).sort())
    }
    await db.knex.migrate.rollback({ ...source() }, true)
    for (const table of STORE_TABLES) expect(await db.knex.schema.hasTable(table)).toBe(false)
    const [, again] = (await db.knex.migrate.latest(source())) as [number, string[]]
    expect(again).toHaveLength(2)
    for (const table of STORE_TABLES) expect(await db.knex.schema.hasTable(table)).toBe(true)
  })

  it('enforces the unique constraints, NOT NULLs and the non-negative stock', async () => {
    const k = db.knex
    const [company] = await k('companies').insert({ name: 'Acme', email: 'a@acme.test' }, ['id'])
    const companyId = Number(typeof company === 'object' ? company.id : company)
    await expect(k('companies').insert({ name: 'Other', email: 'a@acme.test' })).rejects.toThrow()
    const [wh] = await k('warehouses').insert({ company_id: companyId, name: 'W', city: 'Lyon' }, ['id'])
    const warehouseId = Number(typeof wh === 'object' ? wh.id : wh)
    const product = {
      company_id: companyId,
      name: 'P',
      sku: 'SKU-1',
      sale_price: '10.50',
      cost_price: '7.25',
    }
    const [p] = await k('products').insert(product, ['id'])
    const productId = Number(typeof p === 'object' ? p.id : p)
    await expect(k('products').insert(product)).rejects.toThrow()
    await expect(k('products').insert({ ...product, sku: 'SKU-2', name: null })).rejects.toThrow()
    const stock = { company_id: companyId, product_id: productId, warehouse_id: warehouseId, quantity: 3 }
    await k('stocks').insert(stock)
    await expect(k('stocks').insert(stock)).rejects.toThrow()
    await expect(k('stocks').update({ quantity: -1 }).where({ product_id: productId })).rejects.toThrow()
    const row = await k('products').where({ id: productId }).first()
    expect(String(row.sale_price)).toMatch(/^10\.50?$/)
    expect(row.created_at).not.toBeNull()
  })

  it('runs the index migration twice harmlessly', async () => {
    const migration = await storeMigrations().getMigration('20260101000002_store_indexes')
    const before = await listIndexes(db.knex, 'products')
    await migration.up(db.knex)
    await migration.up(db.knex)
    expect(await listIndexes(db.knex, 'products')).toEqual(before)
  })

  it('has every index of the report in the catalog (as an index starting with its columns)', async () => {
    const missing: string[] = []
    for (const report of REPORT_INDEXES) {
      const found = (await listIndexes(db.knex, report.table)).some((ix) =>
        report.columns.every((c, i) => ix.columns[i] === c),
      )
      if (!found) missing.push(`${report.table}(${report.columns.join(', ')})`)
    }
    expect(missing).toEqual([])
  })
})
