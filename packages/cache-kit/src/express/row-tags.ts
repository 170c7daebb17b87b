import type { Request } from 'express'
import type { TagSnapshot } from '../index.js'

/** A row id as a response shows it. */
export type RowId = string | number

/**
 * What a cached response shows, for row-precise invalidation (`cacheResponse`'s `rows` option).
 * A write then drops only the responses it can change: those that show a changed row, those whose
 * ordering or filter reads a changed column, and (for a list) those whose membership or count an
 * insert or delete can shift.
 */
export interface RowsOptions {
  /** The resource (table) whose rows the response shows, e.g. `'products'`. */
  readonly resource: string
  /**
   * The ids of the rows in the response, read from the body the handler sent (parsed as JSON),
   * e.g. `(body) => body.results.map((r) => r.id)` for a list, `(body) => [body.id]` for a detail.
   */
  readonly ids: (body: unknown, req: Request) => readonly RowId[]
  /**
   * Columns the response's choice or order of rows reads (its ordering and filters), e.g.
   * `['created_at', 'sale_price']`: a write that changes one of them drops the response.
   */
  readonly columns?: readonly string[] | ((req: Request) => readonly string[])
  /** A list: an insert or delete in its scope can change which rows it shows and its count. Default `false`. */
  readonly list?: boolean
  /**
   * The partition the rows belong to (a tenant), matched with the `scope` of a {@link RowChange}.
   * Default: the policy's `scope` (`''` for a public policy).
   */
  readonly scope?: (req: Request) => RowId | null | undefined
}

/** What a write changed, for `invalidates` (`{ rows: [...] }`): the counterpart of {@link RowsOptions}. */
export interface RowChange {
  readonly resource: string
  /** The partition, as the reading policy's `rows.scope` (or `scope`) resolves it. Default `''`. */
  readonly scope?: RowId
  /** Rows updated, deleted or inserted: responses showing them are dropped. */
  readonly ids?: readonly RowId[]
  /** Columns whose values changed: responses ordered or filtered by one of them are dropped. */
  readonly columns?: readonly string[]
  /** Rows were inserted or deleted: every list of the scope is dropped (its membership or count can shift). */
  readonly membership?: boolean
}

// Tag names: `~` cannot start a user's tag by accident, and every part is percent-encoded, so no
// resource, scope, id or column can forge another's tag.
const enc = encodeURIComponent

function base(resource: string, scope: RowId): string {
  return `~${enc(resource)}@${enc(String(scope))}`
}

/**
 * The write epoch of a resource in a scope: every write of it moves the epoch first, and a
 * response whose row tags are only known after its handler is stored only if the epoch it read
 * before the handler still holds (the guard against a write that commits in between).
 */
function epochTag(resource: string, scope: RowId): string {
  return `${base(resource, scope)}:w`
}

/** The tags a response depends on before its handler runs, the epoch last (see {@link splitGuard}). */
export function readTags(rows: RowsOptions, req: Request, scope: RowId): string[] {
  const b = base(rows.resource, scope)
  const tags: string[] = []
  const columns = typeof rows.columns === 'function' ? rows.columns(req) : (rows.columns ?? [])
  for (const c of columns) tags.push(`${b}:c:${enc(c)}`)
  if (rows.list === true) tags.push(`${b}:m`)
  tags.push(epochTag(rows.resource, scope))
  return tags
}

/** The tag of one row, carried by every response that shows it. */
export function rowTags(resource: string, scope: RowId, ids: readonly RowId[]): string[] {
  const b = base(resource, scope)
  return ids.map((id) => `${b}:r:${enc(String(id))}`)
}

/** What a change invalidates: the epoch (first, on its own) and then everything it can change. */
export function changeTags(change: RowChange): { epoch: string; tags: string[] } {
  const scope = change.scope ?? ''
  const b = base(change.resource, scope)
  const tags = rowTags(change.resource, scope, change.ids ?? [])
  for (const c of change.columns ?? []) tags.push(`${b}:c:${enc(c)}`)
  if (change.membership === true) tags.push(`${b}:m`)
  return { epoch: epochTag(change.resource, scope), tags }
}

/**
 * Splits a pre-handler snapshot taken with {@link readTags} last: the tags the entry is stamped
 * with, and the epoch version to check when storing (never stamped: a write to any other row of
 * the scope must not drop the entry).
 */
export function splitGuard(snapshot: TagSnapshot): { stamp: TagSnapshot; epoch: string; version: string } {
  const n = snapshot.tags.length - 1
  return {
    stamp: { tags: snapshot.tags.slice(0, n), versions: snapshot.versions.slice(0, n) },
    epoch: snapshot.tags[n] as string,
    version: snapshot.versions[n] as string,
  }
}
