import type { Knex } from 'knex'
import type { SqlDialect } from '../dialects/dialect.js'
import type { Row } from './rows.js'

/**
 * One multi-row `INSERT … VALUES (…), (…)` for rows that share their columns. Written by hand
 * because knex's own multi-row insert compiles to `SELECT … UNION ALL` on SQLite (capped at 500
 * rows) and costs more to build than the statement itself. Where the dialect renders literals
 * (MySQL), the values go in the text and no placeholder is parsed on either side.
 */
export function insertRows(knex: Knex, d: SqlDialect, table: string, rows: readonly Row[]): Promise<unknown> {
  const columns = Object.keys(rows[0] ?? {})
  const head = `insert into ?? (${columns.map(() => '??').join(', ')}) values `
  const { literal } = d
  if (literal) {
    const tuples = rows.map((row) => `(${columns.map((c) => literal(row[c] ?? null)).join(', ')})`)
    const prefix = knex.raw(head, [table, ...columns]).toQuery()
    // No bindings: knex then leaves the text alone, so a `?` inside a literal stays a `?`.
    return knex.raw(prefix + tuples.join(', '))
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`
  const bindings: Knex.RawBinding[] = [table, ...columns]
  for (const row of rows) for (const c of columns) bindings.push(row[c] ?? null)
  return knex.raw(head + new Array(rows.length).fill(tuple).join(', '), bindings)
}
