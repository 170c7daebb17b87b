import type { Knex } from 'knex'
import { runRaw, type SqlDialect } from './dialect.js'
import { findSeekIndex } from './mysql-seek-index.js'

/**
 * MySQL / MariaDB: NULL is already the smallest value. Row-value comparisons do not become range
 * bounds on MariaDB, so seeks use the expanded form with a leading bound (EXPLAIN type `range`).
 * Seeks are pinned to an index (`FORCE INDEX`: the `seekIndex` option, else the index
 * `findSeekIndex` reads from the schema) so the access is `range`, never `ref` or a scan.
 * The estimate is EXPLAIN FORMAT=JSON's `rows × filtered` for the first table of the plan.
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
  findSeekIndex,
  rowValueSeek: false,
  async estimateRows(client, sql, bindings) {
    // FORMAT=JSON gives `filtered`: on a full scan `rows` is the whole table, `rows × filtered` the estimate.
    const result = await runRaw(client, `explain format=json ${sql}`, bindings)
    const rows = Array.isArray(result) ? (result[0] as Array<Record<string, unknown>>) : []
    const plan = JSON.parse(String(rows[0]?.EXPLAIN ?? '{}')) as {
      query_block?: {
        nested_loop?: Array<{ table?: { rows?: unknown; filtered?: unknown } }>
        table?: { rows?: unknown; filtered?: unknown }
      }
    }
    const table = plan.query_block?.nested_loop?.[0]?.table ?? plan.query_block?.table
    const n = Number(table?.rows) * (Number(table?.filtered ?? 100) / 100)
    return Number.isFinite(n) ? n : null
  },
}
