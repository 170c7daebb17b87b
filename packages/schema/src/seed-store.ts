import type { Knex } from 'knex'
import { type GenerateOptions, type GenerateResult, generateStoreData } from './generate-store-data.js'
import { GENERATED_TABLES } from './generator/rows.js'
import { type StoreMigrationName, storeMigrations } from './migration-source.js'

const TABLES: StoreMigrationName = '20260101000001_store_tables'
const INDEXES: StoreMigrationName = '20260101000002_store_indexes'

/**
 * How {@link seedStore} treats the secondary indexes: `auto` defers them when every generated
 * table is empty (a fresh schema) and keeps them otherwise; `defer` always drops them for the load
 * and rebuilds them after; `keep` loads into whatever indexes the tables have.
 */
export type SeedIndexes = 'auto' | 'defer' | 'keep'

/** What {@link seedStore} is doing, for a progress display. */
export type SeedPhase =
  | { readonly phase: 'migrated'; readonly names: readonly string[] }
  | { readonly phase: 'load'; readonly indexes: 'deferred' | 'kept' }
  | { readonly phase: 'build-indexes'; readonly loadSeconds: number }

/** Options of {@link seedStore}: the generator's, plus the migrations and the index strategy. */
export interface SeedOptions extends GenerateOptions {
  /** Apply the store migrations first (with `indexes` deferred: the tables only). Default false. */
  readonly migrate?: boolean
  /** Default `auto`. */
  readonly indexes?: SeedIndexes
  /** Called when a phase starts. */
  readonly onPhase?: (phase: SeedPhase) => void
  /** knex's migrations table, if not `knex_migrations`. */
  readonly migrationsTableName?: string
}

/** What {@link seedStore} did. */
export interface SeedResult extends GenerateResult {
  /** `deferred`: loaded into tables without their secondary indexes, built afterwards. */
  readonly indexes: 'deferred' | 'kept'
  /** Seconds spent writing rows. */
  readonly loadSeconds: number
  /** Seconds spent building the indexes after the load (0 when kept). */
  readonly indexSeconds: number
}

async function allEmpty(knex: Knex): Promise<boolean> {
  const found = await Promise.all(GENERATED_TABLES.map((t) => knex(t).first('id')))
  return found.every((row) => row === undefined)
}

/**
 * Runs {@link generateStoreData} the fast way: loading into bare tables and building the indexes
 * afterwards (one pass per table) beats maintaining every B-tree row by row, by 3× at a million
 * products on MariaDB. On a schema whose index migration is applied, it rolls that migration back
 * (through knex, so `knex_migrations` stays true), loads, and applies it again; if the load fails,
 * `migrate` restores the indexes. With `indexes: 'auto'` it does so only when the generated
 * tables are empty, so it never takes the indexes of a database holding data away.
 */
export async function seedStore(knex: Knex, options: SeedOptions = {}): Promise<SeedResult> {
  const { migrate = false, indexes = 'auto', onPhase, migrationsTableName, ...generate } = options
  const config = (until?: StoreMigrationName) => ({
    migrationSource: storeMigrations(until ? { until } : {}),
    ...(migrationsTableName ? { tableName: migrationsTableName } : {}),
  })
  let defer = indexes === 'defer'
  if (migrate) {
    const [, pending] = (await knex.migrate.list(config())) as [unknown[], StoreMigrationName[]]
    // The tables are not there yet, so they cannot hold rows: deferring is always safe.
    if (indexes === 'auto' && pending.includes(TABLES)) defer = true
    const [, ran] = (await knex.migrate.latest(config(defer ? TABLES : undefined))) as [number, string[]]
    onPhase?.({ phase: 'migrated', names: ran })
  }
  if (indexes === 'auto' && !defer) defer = await allEmpty(knex)
  // Rebuilt after the load when this run dropped them or was asked to migrate; never added otherwise.
  let rebuild = defer && migrate
  if (defer) {
    const [completed] = (await knex.migrate.list(config())) as [{ name: string }[], unknown[]]
    if (completed.some((m) => m.name === INDEXES)) {
      await knex.migrate.down({ ...config(), name: INDEXES })
      rebuild = true
    }
  }
  onPhase?.({ phase: 'load', indexes: defer ? 'deferred' : 'kept' })
  const t0 = performance.now()
  const result = await generateStoreData(knex, generate)
  const t1 = performance.now()
  const loadSeconds = (t1 - t0) / 1000
  if (rebuild) {
    onPhase?.({ phase: 'build-indexes', loadSeconds })
    await knex.migrate.latest(config())
  }
  return {
    ...result,
    indexes: defer ? 'deferred' : 'kept',
    loadSeconds,
    indexSeconds: rebuild ? (performance.now() - t1) / 1000 : 0,
  }
}
