import type { ListQuery } from './list-query.js'

/** A row count and whether it is the planner's estimate (or a capped count) rather than exact. */
export interface CountResult {
  readonly count: number
  readonly estimate: boolean
}

/** `SELECT count(*)` over the query's FROM/JOIN/WHERE. */
export async function exactCount(list: ListQuery): Promise<number> {
  const rows = (await list.base.clone().clearSelect().count({ count: '*' })) as Array<{ count: unknown }>
  return Number(rows[0]?.count ?? 0)
}

/** Counts at most `cap + 1` rows: exact up to `cap`, and `cap + 1` means "more than cap". */
export async function cappedCount(list: ListQuery, cap: number): Promise<number> {
  const inner = list.base
    .clone()
    .clearSelect()
    .select(list.client.raw('1'))
    .limit(cap + 1)
  const rows = (await list.client
    .queryBuilder()
    .count({ count: '*' })
    .from(inner.as('__hp_capped'))) as Array<{
    count: unknown
  }>
  return Number(rows[0]?.count ?? 0)
}

/**
 * The `smart` count: the planner's estimate when it says `threshold` rows or more (flagged estimate);
 * otherwise an exact count capped at `threshold` (when even that overflows, `threshold` flagged estimate).
 */
export async function smartCount(list: ListQuery, threshold: number): Promise<CountResult> {
  const probe = list.base.clone().clearSelect().select(list.unique).toSQL()
  const estimate = await list.dialect.estimateRows(list.client, probe.sql, probe.bindings)
  if (estimate !== null && estimate >= threshold) return { count: Math.round(estimate), estimate: true }
  const capped = await cappedCount(list, threshold)
  return capped > threshold ? { count: threshold, estimate: true } : { count: capped, estimate: false }
}
