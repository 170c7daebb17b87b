import type { Knex } from 'knex'
import type { Row } from './rows.js'

/**
 * One multi-row `INSERT … VALUES (…), (…)` for rows that share their columns. Written by hand
 * because knex's own multi-row insert compiles to `SELECT … UNION ALL` on SQLite (capped at 500
 * rows) and costs more to build than the statement itself.
 */
export function insertRows(knex: Knex, table: string, rows: readonly Row[]): Promise<unknown> {
  const columns = Object.keys(rows[0] ?? {})
  const tuple = `(${columns.map(() => '?').join(', ')})`
  const bindings: Knex.RawBinding[] = [table, ...columns]
  for (const row of rows) for (const c of columns) bindings.push(row[c] ?? null)
  const sql = `insert into ?? (${columns.map(() => '??').join(', ')}) values ${new Array(rows.length).fill(tuple).join(', ')}`
  return knex.raw(sql, bindings)
}
