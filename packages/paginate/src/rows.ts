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
 * inner query selects the unique key), and only the page's rows are joined back for their columns.
 * `lookups` are applied on an outer query over that window (see {@link withLookups}).
 */
export function rowsQuery(list: ListQuery, w: RowWindow): Knex.QueryBuilder {
  const rows = windowQuery(list, w)
  return list.lookups ? withLookups(list, rows, list.lookups, w.terms) : rows
}

function windowQuery(list: ListQuery, w: RowWindow): Knex.QueryBuilder {
  if (!w.deferredJoin || w.offset === 0) {
    const q = orderBy(list, within(list, list.base.clone(), w.where), w.terms)
    q.limit(w.limit)
    if (w.offset > 0) q.offset(w.offset)
    return q
  }
  const keys = orderBy(list, within(list, list.base.clone().clearSelect(), w.where), w.terms)
    .select({ __hp_pk: list.unique })
    .limit(w.limit)
    .offset(w.offset)
  const joined = list.base.clone().clearWhere().join(keys.as('__hp_page'), list.unique, '__hp_page.__hp_pk')
  return orderBy(list, joined, w.terms)
}

/** Names of the derived table and the extra columns `lookups` need (see {@link withLookups}). */
const HIDDEN = { rows: '__hp_rows', key: '__hp_key', sort: '__hp_s' } as const

/**
 * Joins `lookups` onto the window's rows from outside. The window, with the user's WHERE and SELECT
 * resolved inside it (where tables the lookups join, which may share column names such as
 * `company_id`, are not in scope), becomes a derived table. When it holds every column of the base
 * table (the query selected nothing) it takes the base table's name, so lookups read
 * `products.category_id` from it; otherwise it is `__hp_rows` and the base table is joined back by
 * its unique key under its own name (one primary-key lookup per row). The window also carries the
 * unique key and the sort values (`__hp_*` columns, removed by {@link readRows}) because a derived
 * table's order is not kept.
 */
function withLookups(
  list: ListQuery,
  window: Knex.QueryBuilder,
  lookups: (query: Knex.QueryBuilder) => void,
  terms: readonly SortTerm[],
): Knex.QueryBuilder {
  const keyed = window.select(Object.fromEntries(terms.map((t, i) => [`${HIDDEN.sort}${i}`, t.column])))
  const rows = list.selectsAll ? list.alias : HIDDEN.rows
  const outer = list.client.queryBuilder().select(`${rows}.*`).from(keyed.as(rows))
  if (!list.selectsAll) {
    keyed.select({ [HIDDEN.key]: list.unique })
    const base = list.alias === list.table ? list.table : `${list.table} as ${list.alias}`
    outer.join(base, list.unique, `${rows}.${HIDDEN.key}`)
  }
  lookups(outer)
  return orderBy(
    list,
    outer,
    terms.map((t, i) => ({ ...t, column: `${rows}.${HIDDEN.sort}${i}` })),
  )
}

/** Fetches one window of rows (see {@link rowsQuery} and {@link readRows}). */
export function fetchRows<Row>(list: ListQuery, w: RowWindow): Promise<Row[]> {
  return readRows<Row>(list, rowsQuery(list, w))
}

/** Runs a {@link rowsQuery}: drops the columns `lookups` needed, refuses a NULL in an undeclared sort column. */
export async function readRows<Row>(list: ListQuery, q: Knex.QueryBuilder): Promise<Row[]> {
  const rows = (await q) as Array<Record<string, unknown>>
  if (list.lookups) {
    for (const row of rows) {
      for (const key of Object.keys(row)) if (key.startsWith('__hp_')) delete row[key]
    }
  }
  return checkNulls(list, rows as Row[])
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
