import {
  createIndex,
  indexName,
  listIndexes,
  REPORT_INDEXES,
  STORE_COLUMNS,
  STORE_INDEXES,
  STORE_MIGRATION_NAMES,
  STORE_TABLES,
  storeMigrations,
} from '@hotpath/schema'
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
    expect(ran).toEqual([...STORE_MIGRATION_NAMES])
    for (const table of STORE_TABLES) {
      expect(await columnsOf(table)).toEqual(Object.values(STORE_COLUMNS[table]).sort())
    }
    await db.knex.migrate.rollback({ ...source() }, true)
    for (const table of STORE_TABLES) expect(await db.knex.schema.hasTable(table)).toBe(false)
    const [, again] = (await db.knex.migrate.latest(source())) as [number, string[]]
    expect(again).toHaveLength(STORE_MIGRATION_NAMES.length)
    for (const table of STORE_TABLES) expect(await db.knex.schema.hasTable(table)).toBe(true)
  })

  it('enforces the unique constraints, NOT NULLs and the non-negative stock', async () => {
    const k = db.knex
    // Insert, then read the id back by a unique key: MySQL has no RETURNING.
    const idOf = async (table: string, where: Record<string, unknown>) =>
      Number((await k(table).where(where).first('id'))?.id)
    await k('companies').insert({ name: 'Acme', email: 'a@acme.test' })
    const companyId = await idOf('companies', { email: 'a@acme.test' })
    await expect(k('companies').insert({ name: 'Other', email: 'a@acme.test' })).rejects.toThrow()
    await k('warehouses').insert({ company_id: companyId, name: 'W', city: 'Lyon' })
    const warehouseId = await idOf('warehouses', { company_id: companyId })
    const product = {
      company_id: companyId,
      name: 'P',
      sku: 'SKU-1',
      sale_price: '10.50',
      cost_price: '7.25',
    }
    await k('products').insert(product)
    const productId = await idOf('products', { company_id: companyId, sku: 'SKU-1' })
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

  it('compares SKUs and idempotency keys exactly (case and accents), and links movements to invoices', async () => {
    const k = db.knex
    await k('companies').insert({ name: 'Exact', email: 'exact@acme.test' })
    const companyId = Number((await k('companies').where({ email: 'exact@acme.test' }).first('id'))?.id)
    const product = { company_id: companyId, name: 'P', sale_price: '1.00', cost_price: '1.00' }
    await k('products').insert(['SKU-é', 'sku-é', 'SKU-e'].map((sku) => ({ ...product, sku })))
    expect(await k('products').where({ company_id: companyId, sku: 'sku-é' }).pluck('sku')).toEqual(['sku-é'])
    await expect(k('products').insert({ ...product, sku: 'SKU-é' })).rejects.toThrow()
    const key = { company_id: companyId, method: 'POST', path: '/x', request_hash: 'h' }
    await k('idempotency_keys').insert(
      ['Key-1', 'key-1'].map((idempotency_key) => ({ ...key, idempotency_key })),
    )
    expect(await k('idempotency_keys').where({ idempotency_key: 'KEY-1' }).pluck('idempotency_key')).toEqual(
      [],
    )
    expect(await columnsOf('stock_movements')).toContain(STORE_COLUMNS.stock_movements.invoiceId)
    const names = (await listIndexes(k, 'stock_movements')).map((i) => i.name)
    expect(names).toContain(indexName('stock_movements', ['invoice_id']))
  })

  it('runs the index migration twice harmlessly', async () => {
    const migration = await storeMigrations().getMigration('20260101000002_store_indexes')
    const catalog = async () => Promise.all(STORE_TABLES.map((t) => listIndexes(db.knex, t)))
    const before = await catalog()
    expect(before.flat().length).toBeGreaterThan(STORE_INDEXES.length)
    await migration.up(db.knex)
    await migration.up(db.knex)
    expect(await catalog()).toEqual(before)
  })

  it('drops the single-column indexes a composite makes redundant, when an older schema has them', async () => {
    await createIndex(db.knex, { table: 'products', columns: ['company_id'], online: false })
    await createIndex(db.knex, { table: 'stock_movements', columns: ['product_id'], online: false })
    const migration = await storeMigrations().getMigration('20260101000002_store_indexes')
    await migration.up(db.knex)
    const names = async (t: string) => (await listIndexes(db.knex, t)).map((i) => i.name)
    expect(await names('products')).not.toContain('products_company_id_index')
    expect(await names('stock_movements')).not.toContain('stock_movements_product_id_index')
    expect(await names('products')).toContain('products_company_id_created_at_id_index')
  })

  it('has every index of the migration in the catalog, under its deterministic name and columns', async () => {
    const missing: string[] = []
    for (const spec of STORE_INDEXES) {
      const name = indexName(spec.table, spec.columns)
      const found = (await listIndexes(db.knex, spec.table)).find((ix) => ix.name === name)
      if (!found || found.columns.join() !== spec.columns.join()) missing.push(name)
    }
    expect(missing).toEqual([])
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
