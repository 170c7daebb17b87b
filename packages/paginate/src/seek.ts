import type { Knex } from 'knex'
import type { SqlDialect } from './dialects/dialect.js'
import { PaginationError } from './errors.js'
import type { SortTerm } from './list-query.js'
import type { SortValue } from './sort-values.js'

/** A condition added to a query with AND. */
export type Condition = (qb: Knex.QueryBuilder) => void

/**
 * The rows strictly after `values` in `terms` order, as an ordered list of segments: each segment is a
 * set of AND-ed conditions whose rows are contiguous in that order. Without NULLs there is one segment
 * whose first condition is an index range bound on the first column. A NULL partition is never reached
 * by `OR col IS NULL` (which would turn the range into a scan): it is its own segment, queried next.
 */
export function seekSegments(
  terms: readonly SortTerm[],
  values: readonly SortValue[],
  dialect: SqlDialect,
): Condition[][] {
  return segments(terms, values, dialect, 0, [])
}

function segments(
  terms: readonly SortTerm[],
  values: readonly SortValue[],
  dialect: SqlDialect,
  k: number,
  prefix: Condition[],
): Condition[][] {
  const t = terms[k]!
  const v = values[k] ?? null
  if (v === null) {
    if (k === terms.length - 1 || !t.nullable) throw badNull(t)
    // Inside the NULL partition of t: continue on the next column, then (ASC) the whole non-NULL partition.
    const out = segments(terms, values, dialect, k + 1, [...prefix, (qb) => qb.whereNull(t.column)])
    if (t.direction === 'asc') out.push([...prefix, (qb) => qb.whereNotNull(t.column)])
    return out
  }
  const rest = terms.slice(k)
  const first: Condition[] = [...prefix]
  if (dialect.rowValueSeek && rest.length > 1 && uniformNonNull(rest, values.slice(k))) {
    const op = t.direction === 'asc' ? '>' : '<'
    const cols = rest.map(() => '??').join(', ')
    const params = rest.map(() => '?').join(', ')
    first.push((qb) =>
      qb.whereRaw(`(${cols}) ${op} (${params})`, [
        ...rest.map((r) => r.column),
        ...(values.slice(k) as Knex.Value[]),
      ]),
    )
  } else {
    if (k < terms.length - 1) {
      // The leading bound is what makes the optimizer use an index range.
      first.push((qb) => qb.where(t.column, t.direction === 'asc' ? '>=' : '<=', v as Knex.Value))
    }
    first.push((qb) => qb.where((w) => after(w, terms, values, k)))
  }
  const out = [first]
  if (t.direction === 'desc' && t.nullable) out.push([...prefix, (qb) => qb.whereNull(t.column)])
  return out
}

/** OR-group: a row is after `values` from term k on (the prefix before k being equal). */
function after(
  qb: Knex.QueryBuilder,
  terms: readonly SortTerm[],
  values: readonly SortValue[],
  k: number,
): void {
  const t = terms[k]!
  const v = values[k] ?? null
  const op = t.direction === 'asc' ? '>' : '<'
  if (k === terms.length - 1) {
    if (v === null) throw badNull(t)
    qb.where(t.column, op, v as Knex.Value)
    return
  }
  if (v === null) {
    if (!t.nullable) throw badNull(t)
    qb.where((w) => w.whereNull(t.column).andWhere((w2) => after(w2, terms, values, k + 1)))
    if (t.direction === 'asc') qb.orWhereNotNull(t.column)
    return
  }
  qb.where(t.column, op, v as Knex.Value).orWhere((w) =>
    w.where(t.column, v as Knex.Value).andWhere((w2) => after(w2, terms, values, k + 1)),
  )
  if (t.direction === 'desc' && t.nullable) qb.orWhereNull(t.column)
}

function uniformNonNull(terms: readonly SortTerm[], values: readonly SortValue[]): boolean {
  return terms.every((t, i) => !t.nullable && t.direction === terms[0]!.direction && values[i] !== null)
}

function badNull(t: SortTerm): PaginationError {
  return new PaginationError('invalid_cursor', `cursor holds NULL for ${t.key}, which cannot be NULL`)
}
