import type { Knex } from 'knex'
import { createIndexes, dropIndex } from '../create-index.js'
import { dialectOf } from '../dialects/index.js'
import { REDUNDANT_INDEXES, STORE_INDEXES } from '../store-indexes.js'

/**
 * Migration 2: the report's indexes and the tenant composites, built online and idempotently, then
 * the single-column indexes those composites make redundant dropped (when an older schema has them).
 * Runs outside a transaction so PostgreSQL can build CONCURRENTLY; a rerun after a crash is harmless.
 */
export const storeIndexesMigration: Knex.Migration & { config: { transaction: boolean } } = {
  config: { transaction: false },
  async up(knex) {
    await createIndexes(knex, STORE_INDEXES)
    for (const { table, columns } of REDUNDANT_INDEXES) await dropIndex(knex, { table, columns })
  },
  async down(knex) {
    const d = dialectOf(knex)
    for (const { table, columns } of [...STORE_INDEXES].reverse()) {
      try {
        await dropIndex(knex, { table, columns })
      } catch (error) {
        // MySQL would rebuild the same index for the foreign key anyway: keeping it is the rollback.
        if (!d.isIndexNeededByForeignKey(error)) throw error
      }
    }
  },
}
