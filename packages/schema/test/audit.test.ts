import {
  auditIndexes,
  explainQuery,
  generateStoreData,
  SchemaError,
  STORE_TABLES,
  storeHotQueries,
  storeMigrations,
} from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import { beforeAll, describe, expect, it } from 'vitest'

describe.each(DIALECTS)('index audit on %s', (dialect) => {
  const db = useDatabase(dialect)
  let companyId = 0

  beforeAll(async () => {
    await db.knex.migrate.latest({ migrationSource: storeMigrations() })
    // Enough rows per tenant that no optimizer prefers a scan: 6 companies × 1000 products.
    const { companyIds } = await generateStoreData(db.knex, {
      seed: 'audit',
      companies: 6,
      productsPerCompany: 1000,
      invoicesPerCompany: 200,
      concurrency: 2,
    })
    companyId = companyIds[3] ?? 0
  })

  it('explains a query into a normalised plan', async () => {
    const plan = await explainQuery(
      db.knex,
      db.knex('products').where({ company_id: companyId, sku: 'SKU-0000001' }),
    )
    expect(plan.dialect).toBe(dialect)
    expect(plan.fullScan).toBe(false)
    expect(plan.scannedTables).toEqual([])
    expect(plan.indexes).toContain('products_company_id_sku_unique')
    if (dialect === 'sqlite') expect(plan.rowsEstimate).toBeNull()
    else expect(plan.rowsEstimate).toBeGreaterThanOrEqual(1)
    expect(plan.raw).toBeTruthy()
  })

  it('passes for every hot query of the store API', async () => {
    const queries = await storeHotQueries(db.knex, companyId)
    expect(queries.length).toBeGreaterThanOrEqual(20)
    const report = await auditIndexes(db.knex, queries, { analyze: STORE_TABLES })
    const scans = report.results.filter((r) => r.status === 'full-scan').map((r) => r.name)
    expect(scans).toEqual([])
    expect(report.ok).toBe(true)
    // The big tables must be index-served outright, not excused as small.
    const big = report.results.filter((r) => /^(products|stocks|stock_movements|invoices):/.test(r.name))
    expect(big.filter((r) => r.status !== 'index').map((r) => r.name)).toEqual([])
    const products = report.results.find((r) => r.name === 'products: list, newest first')
    expect(products?.status).toBe('index')
    expect(products?.plan.indexes).toContain('products_company_id_created_at_id_index')
  })

  it('fails on a query no index can serve, and throws when asked to', async () => {
    const query = db.knex('products').where('cost_price', '>', 100)
    const report = await auditIndexes(db.knex, [{ name: 'by cost', query }])
    expect(report.ok).toBe(false)
    expect(report.results[0]?.status).toBe('full-scan')
    expect(report.results[0]?.plan.scannedTables).toEqual(['products'])
    const thrown = await auditIndexes(db.knex, [{ name: 'by cost', query }], { throwOnFailure: true }).catch(
      (e: unknown) => e,
    )
    expect(thrown).toBeInstanceOf(SchemaError)
    expect((thrown as SchemaError).code).toBe('audit_failed')
  })

  it('lets a full scan of a small table pass as small-table', async () => {
    const query = db.knex('companies').where('name', 'like', '%x%')
    const report = await auditIndexes(db.knex, [{ name: 'companies scan', query }])
    expect(report.results[0]?.status).toBe('small-table')
    expect(report.ok).toBe(true)
    const strict = await auditIndexes(db.knex, [{ name: 'companies scan', query }], { smallTableRows: 0 })
    expect(strict.ok).toBe(false)
  })
})
