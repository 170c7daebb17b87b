import {
  generateStoreData,
  indexName,
  listIndexes,
  type SeedPhase,
  STORE_INDEXES,
  STORE_MIGRATION_NAMES,
  STORE_TABLES,
  seedStore,
  storeMigrations,
} from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { describe, expect, it } from 'vitest'

const SHAPE = { companies: 2, productsPerCompany: 60, invoicesPerCompany: 4, batchSize: 50, seed: 7 } as const
const source = () => ({ migrationSource: storeMigrations() })

async function missingIndexes(knex: Knex): Promise<string[]> {
  const missing: string[] = []
  for (const spec of STORE_INDEXES) {
    const names = (await listIndexes(knex, spec.table)).map((ix) => ix.name)
    if (!names.includes(indexName(spec.table, spec.columns)))
      missing.push(indexName(spec.table, spec.columns))
  }
  return missing
}

async function migrationRows(knex: Knex): Promise<{ id: number; name: string }[]> {
  return (await knex('knex_migrations').orderBy('id').select('id', 'name')).map((r) => ({
    id: Number(r.id),
    name: String(r.name),
  }))
}

async function snapshot(knex: Knex): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {}
  for (const table of STORE_TABLES) out[table] = await knex(table).orderBy('id')
  return out
}

describe.each(DIALECTS)('seedStore on %s', (dialect) => {
  const fresh = useDatabase(dialect)
  const migrated = useDatabase(dialect)
  const reference = useDatabase(dialect)

  it('on a fresh schema: creates the tables, loads, then builds every index (the same rows as indexes first)', async () => {
    const phases: SeedPhase['phase'][] = []
    const result = await seedStore(fresh.knex, {
      ...SHAPE,
      migrate: true,
      onPhase: (p) => phases.push(p.phase),
    })
    expect(result.indexes).toBe('deferred')
    expect(phases).toEqual(['migrated', 'load', 'build-indexes'])
    expect(result.rows.products).toBe(120)
    expect((await migrationRows(fresh.knex)).map((m) => m.name)).toEqual([
      '20260101000001_store_tables',
      '20260101000002_store_indexes',
      '20260101000003_exact_keys',
    ])
    expect(await missingIndexes(fresh.knex)).toEqual([])

    await reference.knex.migrate.latest(source())
    await generateStoreData(reference.knex, SHAPE)
    expect(await snapshot(fresh.knex)).toEqual(await snapshot(reference.knex))
  })

  it('on a migrated, empty schema: rolls the index migration back for the load and applies it again', async () => {
    await migrated.knex.migrate.latest(source())
    const phases: SeedPhase[] = []
    const result = await seedStore(migrated.knex, { ...SHAPE, onPhase: (p) => phases.push(p) })
    expect(result.indexes).toBe('deferred')
    expect(phases.map((p) => p.phase)).toEqual(['load', 'build-indexes'])
    const [completed, pending] = (await migrated.knex.migrate.list(source())) as [unknown[], unknown[]]
    expect([completed.length, pending.length]).toEqual([STORE_MIGRATION_NAMES.length, 0])
    expect(await missingIndexes(migrated.knex)).toEqual([])
  })

  it('on tables holding rows: keeps the indexes and the migrations untouched', async () => {
    // Runs after the previous test, on the same (now filled) database.
    const before = await migrationRows(migrated.knex)
    const phases: SeedPhase[] = []
    const result = await seedStore(migrated.knex, { ...SHAPE, companies: 1, onPhase: (p) => phases.push(p) })
    expect(result.indexes).toBe('kept')
    expect(result.indexSeconds).toBe(0)
    expect(phases).toEqual([{ phase: 'load', indexes: 'kept' }])
    expect(await migrationRows(migrated.knex)).toEqual(before)
    expect(await missingIndexes(migrated.knex)).toEqual([])
  })
})

describe('generateStoreData on MySQL/MariaDB with the row checks skipped', () => {
  // One connection, so the session read back afterwards is the one the INSERTs used.
  const db = useDatabase('mysql', { pool: { min: 1, max: 1 } })

  it('restores foreign_key_checks and unique_checks on the pooled connection', async () => {
    await db.knex.migrate.latest(source())
    await db.knex.raw('set session foreign_key_checks = 1, unique_checks = 1')
    await generateStoreData(db.knex, { ...SHAPE, skipRowChecks: true })
    const [[row]] = (await db.knex.raw(
      'select @@session.foreign_key_checks as fk, @@session.unique_checks as uc',
    )) as [{ fk: number; uc: number }[]]
    expect([Number(row?.fk), Number(row?.uc)]).toEqual([1, 1])
    expect(Number((await db.knex('stock_movements').count({ n: '*' }).first())?.n)).toBe(240)
  })
})
