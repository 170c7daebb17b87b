import type { Knex } from 'knex'
import { runRaw, type SqlDialect } from './dialect.js'

/**
 * PostgreSQL: NULL is the largest value by default, so nullable columns get `NULLS FIRST` (ASC) /
 * `NULLS LAST` (DESC); index them as `(col ASC NULLS FIRST)`. Row-value comparisons become one
 * Index Cond. The estimate is the planner's `Plan Rows` (from `pg_class.reltuples` and statistics).
 */
export const postgres: SqlDialect = {
  name: 'postgres',
  orderBy(qb: Knex.QueryBuilder, column: string, direction: 'asc' | 'desc', nullable: boolean) {
    if (nullable) qb.orderBy(column, direction, direction === 'asc' ? 'first' : 'last')
    else qb.orderBy(column, direction)
  },
  forceIndex() {},
  findSeekIndex: async () => undefined,
  rowValueSeek: true,
  async estimateRows(client, sql, bindings) {
    const result = (await runRaw(client, `explain (format json) ${sql}`, bindings)) as {
      rows?: Array<Record<string, unknown>>
    }
    const plan = result.rows?.[0]?.['QUERY PLAN'] as Array<{ Plan?: { 'Plan Rows'?: unknown } }> | undefined
    const n = Number(plan?.[0]?.Plan?.['Plan Rows'])
    return Number.isFinite(n) ? n : null
  },
}
