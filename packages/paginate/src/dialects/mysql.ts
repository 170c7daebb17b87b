import type { Knex } from 'knex'
import { runRaw, type SqlDialect } from './dialect.js'

/**
 * MySQL / MariaDB: NULL is already the smallest value. Row-value comparisons do not become range
 * bounds on MariaDB, so seeks use the expanded form with a leading bound (EXPLAIN type `range`).
 * Seeks may be pinned to an index (`FORCE INDEX`) so the access is `range`, never `ref`.
 * The estimate is EXPLAIN's `rows` for the first table of the plan.
 */
export const mysql: SqlDialect = {
  name: 'mysql',
  orderBy(qb: Knex.QueryBuilder, column: string, direction: 'asc' | 'desc') {
    qb.orderBy(column, direction)
  },
  forceIndex(qb: Knex.QueryBuilder, table: string, alias: string, index: string) {
    const raw =
      alias === table
        ? qb.client.raw('?? force index (??)', [table, index])
        : qb.client.raw('?? as ?? force index (??)', [table, alias, index])
    qb.from(raw as Knex.Raw)
  },
  rowValueSeek: false,
  async estimateRows(client, sql, bindings) {
    const result = await runRaw(client, `explain ${sql}`, bindings)
    const rows = Array.isArray(result) ? (result[0] as unknown) : undefined
    const first = Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined
    const n = Number(first?.rows)
    return Number.isFinite(n) ? n : null
  },
}
