/** A row id (a primary key), or a partition (scope) value. */
export type RowId = string | number

/**
 * What a cached value depends on besides the rows it shows: the columns its choice or order of
 * rows reads (ordering, filters) and, for a list or a count, its scope's membership.
 */
export interface RowRead {
  /** The resource (table), e.g. `'products'`. */
  readonly resource: string
  /** The partition (a tenant id), as writes name it in {@link RowChange.scope}. Default `''`. */
  readonly scope?: RowId
  /** Columns whose change can change the value (its ordering and filters). */
  readonly columns?: readonly string[]
  /** A list or a count: an insert or delete in the scope can change it. Default `false`. */
  readonly list?: boolean
}

/** What a write changed, for `cache.invalidateRows` and `invalidates`' `{ rows }`. */
export interface RowChange {
  readonly resource: string
  /** The partition, as the reads name it. Default `''`. */
  readonly scope?: RowId
  /** Rows updated, deleted or inserted: values showing them are dropped. */
  readonly ids?: readonly RowId[]
  /** Columns whose values changed: values ordered or filtered by one of them are dropped. */
  readonly columns?: readonly string[]
  /** Rows were inserted or deleted: every list and count of the scope is dropped. */
  readonly membership?: boolean
}

// Tag names: `~` starts no user tag by accident, and every part is percent-encoded, so no
// resource, scope, id or column can forge another's tag.
const enc = encodeURIComponent

function base(resource: string, scope: RowId): string {
  return `~${enc(resource)}@${enc(String(scope))}`
}

/**
 * The tags a value depending on `read` carries (stamp them with `getOrSet`'s or `set`'s `tags`),
 * so that `invalidateRows` drops it when a column it reads changes or, for a list, when rows are
 * inserted or deleted. The rows it shows are tagged with {@link rowTags}.
 */
export function rowReadTags(read: RowRead): string[] {
  const b = base(read.resource, read.scope ?? '')
  const tags = (read.columns ?? []).map((c) => `${b}:c:${enc(c)}`)
  if (read.list === true) tags.push(`${b}:m`)
  return tags
}

/** The tags of rows `ids` of a resource in a scope: a value showing a row carries its tag. */
export function rowTags(resource: string, scope: RowId, ids: readonly RowId[]): string[] {
  const b = `${base(resource, scope)}:r:`
  // An integer id encodes to itself: the common case skips the encoder.
  return ids.map((id) => (Number.isSafeInteger(id) ? b + id : b + enc(String(id))))
}

/**
 * The write epoch of a resource in a scope. `invalidateRows` moves it before anything else, so a
 * value whose row tags are known only after it was computed (a response's rows, read from its
 * body) can be refused when the epoch it read before computing has moved: a write may have
 * committed in between. It is read and checked, never stamped on an entry.
 */
export function rowEpochTag(resource: string, scope: RowId): string {
  return `${base(resource, scope)}:w`
}

/** What `change` invalidates: its epoch (first, on its own), then the tags of what it can change. */
export function rowChangeTags(change: RowChange): { epoch: string; tags: string[] } {
  const scope = change.scope ?? ''
  const tags = rowTags(change.resource, scope, change.ids ?? [])
  tags.push(
    ...rowReadTags({
      resource: change.resource,
      scope,
      columns: change.columns ?? [],
      list: change.membership === true,
    }),
  )
  return { epoch: rowEpochTag(change.resource, scope), tags }
}

/**
 * The per-tag entry counter a tag counts under (see `invalidateTags`' return value): a row tag
 * counts under its resource and scope, so that an entry showing 60 rows bumps one counter, not 60;
 * a write epoch under none (it is never stamped on an entry); any other tag under itself.
 */
export function counterTagOf(tag: string): string | undefined {
  if (!tag.startsWith('~')) return tag
  const colon = tag.indexOf(':')
  if (colon < 0) return tag
  return tag.endsWith(':w') && colon === tag.length - 2 ? undefined : tag.slice(0, colon)
}
