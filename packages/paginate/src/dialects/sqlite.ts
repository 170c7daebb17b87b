import type { Knex } from 'knex'
import type { SqlDialect } from './dialect.js'

/** SQLite: NULL is already the smallest value; no planner estimate, so `smart` uses a capped count. */
export const sqlite: SqlDialect = {
  name: 'sqlite',
  orderBy(qb: Knex.QueryBuilder, column: string, direction: 'asc' | 'desc') {
    qb.orderBy(column, direction)
  },
  // SQLite would take row values too; the expanded form gives `SEARCH ... USING INDEX (a<?)` on every version.
  forceIndex() {},
  findSeekIndex: async () => undefined,
  rowValueSeek: false,
  estimateRows: async () => null,
}
