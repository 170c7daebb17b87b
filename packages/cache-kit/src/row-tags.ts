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
  /**
   * Ordering columns read over a range of values: the lowest and highest value among the rows the
   * value shows (a page ordered by price shows prices 40 to 52). A change of such a column drops
   * the value only when the row moved across that range (see {@link ColumnRange}). List them here
   * instead of in `columns`.
   */
  readonly ranges?: readonly ColumnRange[]
}

/**
 * The span of an ordering column's values: on a read, among the rows shown; on a write, the
 * column's old and new value of the changed row (either order). Numbers: timestamps in ms. A bound
 * that is not a finite number makes the range unknown: the read then depends on the whole column,
 * and the write drops every value reading it.
 */
export interface ColumnRange {
  readonly column: string
  readonly low: number
  readonly high: number
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
  /**
   * Changed columns with their old and new values (`low`/`high`, either order): values reading one
   * of them over a range (`RowRead.ranges`) are dropped only when that range meets this one. A
   * column listed here need not be in `columns`. Read the old value in the write's transaction.
   */
  readonly ranges?: readonly ColumnRange[]
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
  for (const r of read.ranges ?? []) tags.push(...rangeReadTags(`${b}:c:${enc(r.column)}`, r))
  if (read.list === true) tags.push(`${b}:m`)
  return tags
}

// Range tags. Values are bucketed on a fixed ladder of widths 4^0 … 4^26 (up to 2^52; no
// configuration, so reads and writes cannot disagree). A read tags its range at the finest level
// where it spans at most READ_BUCKETS buckets, so its tags reach less than its own span beyond it;
// a write drops, at every level, the buckets its range spans, or the whole level past
// WRITE_BUCKETS (then every read narrower than about a sixteenth of the write's span goes too).
// Two ranges that meet share a bucket at the read's level.
const LEVELS = 27
const READ_BUCKETS = 4
const WRITE_BUCKETS = 64
const WIDTHS = Array.from({ length: LEVELS }, (_, k) => 4 ** k)

function knownRange(r: ColumnRange): { low: number; high: number } | undefined {
  if (!Number.isFinite(r.low) || !Number.isFinite(r.high)) return undefined
  return r.low <= r.high ? { low: r.low, high: r.high } : { low: r.high, high: r.low }
}

/** `column` is the column's tag; a range reader also carries `<column>:~`, which a write without a range drops. */
function rangeReadTags(column: string, range: ColumnRange): string[] {
  const r = knownRange(range)
  if (r)
    for (let k = 0; k < LEVELS; k++) {
      const w = WIDTHS[k] as number
      const first = Math.floor(r.low / w)
      const last = Math.floor(r.high / w)
      if (last - first >= READ_BUCKETS) continue
      const tags = [`${column}:~`, `${column}:${k}`]
      for (let b = first; b <= last; b++) tags.push(`${column}:${k}:${b}`)
      return tags
    }
  return [column]
}

function rangeChangeTags(column: string, range: ColumnRange | undefined): string[] {
  const r = range && knownRange(range)
  if (!r) return [column, `${column}:~`]
  const tags = [column]
  for (let k = 0; k < LEVELS; k++) {
    const w = WIDTHS[k] as number
    const first = Math.floor(r.low / w)
    const last = Math.floor(r.high / w)
    if (last - first >= WRITE_BUCKETS) tags.push(`${column}:${k}`)
    else for (let b = first; b <= last; b++) tags.push(`${column}:${k}:${b}`)
  }
  return tags
}

/** The tags of rows `ids` of a resource in a scope: a value showing a row carries its tag. */
export function rowTags(resource: string, scope: RowId, ids: readonly RowId[]): string[] {
  const b = `${base(resource, scope)}:r:`
  // An integer id encodes to itself: the common case skips the encoder.
  return ids.map((id) => (Number.isSafeInteger(id) ? b + id : b + enc(String(id))))
}

/**
 * The rows a value shows, as one tag: the row set of those rows of a resource in a scope. Where
 * the store keeps row sets (`StoreCapabilities.rowSets`), a value showing many rows is stamped
 * with this one tag instead of a tag per row, and the store indexes the set under each of its
 * rows, so that `invalidateRows` drops the sets showing a changed row. The name is derived from
 * the rows (in any order), so values showing the same rows share it; two sets sharing a name by
 * chance are only dropped together, never kept stale (each row indexes the name).
 */
export function rowSetTag(resource: string, scope: RowId, ids: readonly RowId[]): string {
  return rowSetTagOf(resource, scope, rowTags(resource, scope, ids))
}

/**
 * `rowSetTag` of rows given by their {@link rowTags} (of that resource and scope), for a caller
 * that has them already: the name hashes the ids' part of each tag, in sorted order.
 */
export function rowSetTagOf(resource: string, scope: RowId, rows: readonly string[]): string {
  const b = base(resource, scope)
  // The tags share `<base>:r:`, so they sort as their ids' parts do.
  const sorted = [...rows].sort()
  return `${b}:s:${hash53(sorted, b.length + 3)}`
}

/** `'r'` for a row tag, `'s'` for a row set tag, else `undefined`; and the base they start with. */
function rowKindOf(tag: string): { kind: 'r' | 's'; base: string } | undefined {
  if (!tag.startsWith('~')) return undefined
  // The base is percent-encoded: its first colon ends it.
  const colon = tag.indexOf(':')
  if (colon < 0 || tag.charCodeAt(colon + 2) !== 58 /* ':' */) return undefined
  const kind = tag[colon + 1]
  return kind === 'r' || kind === 's' ? { kind, base: tag.slice(0, colon) } : undefined
}

/** Whether `tag` is a row tag (see {@link rowTags}): the store indexes row sets under these. */
export function isRowTag(tag: string): boolean {
  return rowKindOf(tag)?.kind === 'r'
}

/** Whether `tag` is a row set tag (see {@link rowSetTag}). */
export function isRowSetTag(tag: string): boolean {
  return rowKindOf(tag)?.kind === 's'
}

/**
 * The resource-and-scope part a row tag or a row set tag starts with (`undefined` for any other
 * tag), so that a row invalidation still pending can be matched with a row set.
 */
export function rowBaseOf(tag: string): string | undefined {
  return rowKindOf(tag)?.base
}

/**
 * A 53-bit string hash (cyrb53), in base 36, of `parts` each from its `from`th character, joined
 * by commas: names a row set; a collision only over-invalidates.
 */
function hash53(parts: readonly string[], from: number): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let p = 0; p < parts.length; p++) {
    const s = parts[p] as string
    if (p > 0) {
      h1 = Math.imul(h1 ^ 44 /* ',' */, 2654435761)
      h2 = Math.imul(h2 ^ 44, 1597334677)
    }
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 2654435761)
      h2 = Math.imul(h2 ^ c, 1597334677)
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
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
  const b = base(change.resource, scope)
  const tags = rowTags(change.resource, scope, change.ids ?? [])
  const ranges = new Map((change.ranges ?? []).map((r) => [r.column, r]))
  for (const c of new Set([...(change.columns ?? []), ...ranges.keys()]))
    tags.push(...rangeChangeTags(`${b}:c:${enc(c)}`, ranges.get(c)))
  if (change.membership === true) tags.push(`${b}:m`)
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
