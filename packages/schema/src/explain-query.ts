import type { Knex } from 'knex'
import type { DialectName } from './dialects/dialect.js'
import { dialectOf } from './dialects/index.js'
import { SchemaError } from './errors.js'

/** Anything {@link explainQuery} can explain: a knex query builder, a `knex.raw`, or compiled SQL with `?` placeholders. */
export type ExplainableQuery =
  | Knex.QueryBuilder
  | Knex.Raw
  | { readonly sql: string; readonly bindings?: readonly Knex.RawBinding[] }

/** A database's plan for one query, normalised across the three dialects. */
export interface QueryPlan {
  readonly dialect: DialectName
  /** True when some table is read in full (MySQL `type: ALL`, PostgreSQL `Seq Scan`, SQLite `SCAN t` without an index). */
  readonly fullScan: boolean
  /** The tables read in full (empty when `fullScan` is false). */
  readonly scannedTables: readonly string[]
  /** The indexes the plan uses, in plan order (`PRIMARY` for a SQLite rowid lookup). */
  readonly indexes: readonly string[]
  /** Rows the optimizer expects to read (MySQL: the largest `rows`; PostgreSQL: the top node's `Plan Rows`); null on SQLite, which does not say. */
  readonly rowsEstimate: number | null
  /** The database's own EXPLAIN output, untouched. */
  readonly raw: unknown
}

function compile(query: ExplainableQuery): { sql: string; bindings: readonly Knex.RawBinding[] } {
  if ('toSQL' in query && typeof query.toSQL === 'function') {
    const { sql, bindings } = query.toSQL()
    return { sql, bindings: bindings as readonly Knex.RawBinding[] }
  }
  const plain = query as { sql: string; bindings?: readonly Knex.RawBinding[] }
  return { sql: plain.sql, bindings: plain.bindings ?? [] }
}

/**
 * Runs the database's EXPLAIN on `query` (it is planned, never executed) and normalises the plan.
 * Throws `SchemaError('explain_failed')` (with the database error as `cause`) when EXPLAIN fails.
 */
export async function explainQuery(knex: Knex, query: ExplainableQuery): Promise<QueryPlan> {
  const d = dialectOf(knex)
  const { sql, bindings } = compile(query)
  try {
    return { dialect: d.name, ...(await d.explain(knex, sql, bindings)) }
  } catch (error) {
    throw new SchemaError('explain_failed', `EXPLAIN failed for: ${sql}`, { cause: error })
  }
}
