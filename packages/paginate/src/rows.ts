import type { Knex } from 'knex'
import { PaginationError } from './errors.js'
import type { ListQuery, SortTerm } from './list-query.js'
import type { Condition } from './seek.js'

/** What to fetch: in `terms` order, within `where`, skipping `offset`, at most `limit` rows. */
export interface RowWindow {
  readonly terms: readonly SortTerm[]
  readonly where?: readonly Condition[]
  readonly offset: number
  readonly limit: number
  /** Select the window's keys on the base table first, then join back for the columns (when offset > 0). */
  readonly deferredJoin: boolean
}

/** Adds the ORDER BY of `terms` with the dialect's NULL placement. */
export function orderBy(
  list: ListQuery,
  qb: Knex.QueryBuilder,
  terms: readonly SortTerm[],
): Knex.QueryBuilder {
  for (const t of terms) list.dialect.orderBy(qb, t.column, t.direction, t.nullable)
  return qb
}

/** Applies AND-ed seek conditions, pinning the query to `seekIndex` where the dialect needs it. */
export function within(
  list: ListQuery,
  qb: Knex.QueryBuilder,
  where: readonly Condition[] | undefined,
): Knex.QueryBuilder {
  if (!where) return qb
  if (list.seekIndex) list.dialect.forceIndex(qb, list.table, list.alias, list.seekIndex)
  for (const c of where) c(qb)
  return qb
}

/**
 * Builds the query for one window of rows. With a deferred join the OFFSET walks only the index (the
 * inner query selects the unique key, without `lookups`), and only the page's rows are joined back
 * for their columns.
 */
export function rowsQuery(list: ListQuery, w: RowWindow): Knex.QueryBuilder {
  if (!w.deferredJoin || w.offset === 0) {
    const q = orderBy(list, within(list, withLookups(list, list.base.clone()), w.where), w.terms)
    q.limit(w.limit)
    if (w.offset > 0) q.offset(w.offset)
    return q
  }
  const keys = orderBy(list, within(list, list.base.clone().clearSelect(), w.where), w.terms)
    .select({ __hp_pk: list.unique })
    .limit(w.limit)
    .offset(w.offset)
  const joined = list.base.clone().clearWhere().join(keys.as('__hp_page'), list.unique, '__hp_page.__hp_pk')
  return orderBy(list, withLookups(list, joined), w.terms)
}

/** Runs {@link rowsQuery}; a NULL in an undeclared sort column is refused. */
export async function fetchRows<Row>(list: ListQuery, w: RowWindow): Promise<Row[]> {
  return checkNulls(list, (await rowsQuery(list, w)) as Row[])
}

function withLookups(list: ListQuery, qb: Knex.QueryBuilder): Knex.QueryBuilder {
  list.lookups?.(qb)
  return qb
}

/** A NULL in a sort column not declared `nullable` would sort differently per database: refuse it (500). */
export function checkNulls<Row>(list: ListQuery, rows: Row[]): Row[] {
  for (const t of list.terms) {
    if (t.nullable) continue
    for (const row of rows) {
      if ((row as Record<string, unknown>)[t.key] === null) {
        throw new PaginationError(
          'invalid_option',
          `"${t.key}" holds NULL: list it in the "nullable" option`,
          { status: 500 },
        )
      }
    }
  }
  return rows
}
