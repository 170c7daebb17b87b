import { storeMigrations } from '@hotpath/schema'
import type { Knex } from 'knex'

/** Brings the database to the latest store schema (tables, then indexes); returns the migrations run. */
export async function migrate(db: Knex): Promise<string[]> {
  const [, run] = (await db.migrate.latest({ migrationSource: storeMigrations() })) as [number, string[]]
  return run
}
