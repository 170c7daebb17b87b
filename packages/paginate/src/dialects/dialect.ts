import type { Knex } from 'knex'
import type { SeekShape } from './mysql-seek-index.js'

/** The databases paginate speaks. */
export type DialectName = 'sqlite' | 'mysql' | 'postgres'

/**
 * Everything that differs between databases, behind one interface (one file per database).
 * NULL placement is the same everywhere: NULL sorts as the smallest value (first in ASC, last in DESC).
 */
export interface SqlDialect {
  readonly name: DialectName
  /** Adds one ORDER BY term with NULLs-smallest placement (`nullable` says the column may hold NULL). */
  orderBy(qb: Knex.QueryBuilder, column: string, direction: 'asc' | 'desc', nullable: boolean): void
  /**
   * Whether a seek over non-null columns that all share one direction is written as a row-value
   * comparison `(a, b) < (?, ?)`, which this database turns into one index range bound. Otherwise the
   * seek is expanded with a leading bound `a <= ? AND (a < ? OR (a = ? AND b < ?))`.
   */
  readonly rowValueSeek: boolean
  /**
   * Pins a seek query to `index` (`from` is the knex table spec, `table` / `alias` its parts). MariaDB
   * otherwise picks `ref` on the equality prefix near the start of a list and scans from the top;
   * `FORCE INDEX` makes it a `range`. PostgreSQL and SQLite choose the range themselves: no-op.
   */
  forceIndex(qb: Knex.QueryBuilder, table: string, alias: string, index: string): void
  /**
   * The index to pin seeks to when the caller named none (MariaDB/MySQL: read from the schema);
   * `undefined` where the planner needs no help.
   */
  findSeekIndex(client: Knex.Client, shape: SeekShape): Promise<string | undefined>
  /** The planner's row estimate for a SELECT (`?` placeholders), or `null` when the database has none. */
  estimateRows(client: Knex.Client, sql: string, bindings: readonly unknown[]): Promise<number | null>
}

/** Runs raw SQL with `?` placeholders through the query's own client (pool, transaction). */
export async function runRaw(
  client: Knex.Client,
  sql: string,
  bindings: readonly unknown[],
): Promise<unknown> {
  const raw = client.raw(sql, bindings) as Knex.Raw
  return await raw
}
