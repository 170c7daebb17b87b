import type { Request } from 'express'
import type { TagSnapshot } from '../index.js'
import { type ColumnRange, type RowId, rowEpochTag, rowReadTags, rowSetTagOf, rowTags } from '../row-tags.js'

/**
 * What a cached response shows, for row-precise invalidation (`cacheResponse`'s `rows` option; one
 * per resource it shows, e.g. the products of a list and the categories it joins in). A write that
 * calls `cache.invalidateRows` (or `invalidates` with `{ rows }`) then drops only the responses it
 * can change: those showing a changed row, those whose ordering or filter reads a changed column,
 * and, for a list, those whose membership or count an insert or delete can shift.
 */
export interface RowsOptions {
  /** The resource (table) whose rows the response shows, e.g. `'products'`. */
  readonly resource: string
  /**
   * The ids of the rows in the response, read from the body the handler sent (parsed as JSON),
   * e.g. `(body) => body.results.map((r) => r.id)` for a list, `(body) => [body.id]` for a detail.
   */
  readonly ids: (body: unknown, req: Request) => readonly RowId[]
  /** Columns the response's choice or order of rows reads (its ordering and filters). */
  readonly columns?: readonly string[] | ((req: Request) => readonly string[])
  /**
   * Ordering columns read over a range, from the body: the lowest and highest value among the rows
   * shown, e.g. `(body) => [{ column: 'price', low: min, high: max }]` for a page ordered by price.
   * A write that passes the column's old and new value (`RowChange.ranges`) then drops the page only
   * when the row moved across its range. Leave these columns out of `columns`.
   */
  readonly ranges?: (body: unknown, req: Request) => readonly ColumnRange[]
  /** A list: an insert or delete in its scope can change which rows it shows and its count. Default `false`. */
  readonly list?: boolean
  /** The partition of the rows (a tenant), as writes name it. Default: the policy's `scope` (`''` when public). */
  readonly scope?: (req: Request) => RowId | null | undefined
}

/** One `rows` entry with its scope resolved. */
interface RowsSpec {
  readonly options: RowsOptions
  readonly scope: (req: Request) => RowId
}

/** A policy's `rows`, resolved once. */
export type ResolvedRows = readonly RowsSpec[]

/** Resolves the `rows` option (one entry or several); `scope` is the policy's. */
export function resolveRows(
  rows: RowsOptions | readonly RowsOptions[] | undefined,
  scope: ((req: Request) => RowId | null | undefined) | undefined,
): ResolvedRows | undefined {
  if (rows === undefined) return undefined
  const list: readonly RowsOptions[] = Array.isArray(rows) ? rows : [rows as RowsOptions]
  return list.map((options) => {
    const s = options.scope ?? scope
    return { options, scope: s === undefined ? () => '' : (req: Request) => s(req) ?? '' }
  })
}

/**
 * The tags a `rows` response depends on before its handler runs, then its write epochs, last
 * (see {@link splitGuard}).
 */
export function rowsReadTags(rows: ResolvedRows, req: Request): string[] {
  const tags: string[] = []
  for (const { options, scope } of rows) {
    const columns = typeof options.columns === 'function' ? options.columns(req) : options.columns
    const read = { resource: options.resource, scope: scope(req), list: options.list === true }
    tags.push(...rowReadTags(columns ? { ...read, columns } : read))
  }
  for (const { options, scope } of rows) tags.push(rowEpochTag(options.resource, scope(req)))
  return tags
}

/** What a response shows, read from its body (see {@link rowsShown}). */
export interface Shown {
  /** The tags of its rows and of the ranges its ordering columns span, each once. */
  readonly tags: readonly string[]
  /**
   * Per `rows` entry showing two rows or more: the row set tag of those rows and their row tags,
   * to stamp in their place where the store keeps row sets.
   */
  readonly sets: readonly { readonly tag: string; readonly rows: readonly string[] }[]
}

/**
 * The tags of the rows a response shows and of the ranges its ordering columns span, from its body
 * (the object the handler gave `res.json`, or the sent bytes parsed), with the row sets standing
 * for them unless `sets` is false (the cache never keeps them); throws when `ids` or `ranges` throws.
 */
export function rowsShown(rows: ResolvedRows, req: Request, body: unknown, sets = true): Shown {
  // Many rows join the same few (a page's products share their categories): one tag each.
  const tags = new Set<string>()
  const stamped: { tag: string; rows: string[] }[] = []
  for (const { options, scope } of rows) {
    const s = scope(req)
    const ids = options.ids(body, req)
    const shown = rowTags(options.resource, s, ids)
    for (const t of shown) tags.add(t)
    if (sets && ids.length > 1)
      stamped.push({ tag: rowSetTagOf(options.resource, s, shown), rows: [...new Set(shown)] })
    const ranges = options.ranges?.(body, req)
    if (ranges?.length)
      for (const t of rowReadTags({ resource: options.resource, scope: s, ranges })) tags.add(t)
  }
  return { tags: [...tags], sets: stamped }
}

/**
 * Splits a pre-handler snapshot taken with {@link rowsReadTags} (its last `rows.length` tags are
 * epochs): the part the entry is stamped with, and the epochs to check when storing (never
 * stamped: a write to another row of the scope must not drop the entry).
 */
export function splitGuard(
  snapshot: TagSnapshot,
  epochs: number,
): { stamp: TagSnapshot; guard: TagSnapshot } {
  const n = snapshot.tags.length - epochs
  return {
    stamp: { tags: snapshot.tags.slice(0, n), versions: snapshot.versions.slice(0, n) },
    guard: { tags: snapshot.tags.slice(n), versions: snapshot.versions.slice(n) },
  }
}
