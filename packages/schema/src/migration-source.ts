import type { Knex } from 'knex'
import { exactKeysMigration } from './migrations/exact-keys.js'
import { storeIndexesMigration } from './migrations/store-indexes.js'
import { storeTablesMigration } from './migrations/store-tables.js'

/** Names of the store migrations, in the order they run (knex records these in its migrations table). */
export const STORE_MIGRATION_NAMES = [
  '20260101000001_store_tables',
  '20260101000002_store_indexes',
  '20260101000003_exact_keys',
] as const

/** One of {@link STORE_MIGRATION_NAMES}. */
export type StoreMigrationName = (typeof STORE_MIGRATION_NAMES)[number]

const MIGRATIONS: Record<StoreMigrationName, Knex.Migration> = {
  '20260101000001_store_tables': storeTablesMigration,
  '20260101000002_store_indexes': storeIndexesMigration,
  '20260101000003_exact_keys': exactKeysMigration,
}

/** Options of {@link storeMigrations}. */
export interface StoreMigrationsOptions {
  /** Stop after this migration (e.g. `'20260101000001_store_tables'` for the tables without indexes). */
  readonly until?: StoreMigrationName
}

/**
 * The store schema as a Knex migration source:
 * `await knex.migrate.latest({ migrationSource: storeMigrations() })` (and `rollback`, `down`, `up`).
 * Runs unchanged on SQLite, MySQL/MariaDB and PostgreSQL. The index migration runs outside a
 * transaction so PostgreSQL can build `CONCURRENTLY`; it is idempotent, so a rerun after a crash is safe.
 */
export function storeMigrations(
  options: StoreMigrationsOptions = {},
): Knex.MigrationSource<StoreMigrationName> {
  const last = options.until ? STORE_MIGRATION_NAMES.indexOf(options.until) : STORE_MIGRATION_NAMES.length - 1
  const names = STORE_MIGRATION_NAMES.slice(0, last + 1)
  return {
    getMigrations: async () => names,
    getMigrationName: (name) => name,
    getMigration: async (name) => MIGRATIONS[name],
  }
}
