import { type ColumnRange, type RowChange, rowReadTags } from '@hotpath/cache-kit'
import type { RowsOptions } from '@hotpath/cache-kit/express'
import type { Request } from 'express'
import { toIso } from '../db/values.js'
import { companyOf } from '../http/request-context.js'
import type { ListSpec, ResourceName } from './route-spec.js'

/**
 * The service's caching policy in one place. Every cached read names the rows it shows (its own,
 * and those of the resources it joins in: a product's category, a stock's product) and the
 * columns its ordering and filters read; every write names the rows and columns it changed. A
 * write then drops only the responses it can change (cache-kit's row-precise invalidation): a
 * price change drops the pages showing that product and the pages ordered or filtered by price,
 * and leaves the rest of the company's product pages cached.
 */

/** A resource another one joins in: the field holding its row id, and the columns of it shown. */
interface Joined {
  readonly resource: ResourceName
  readonly field: string
  readonly columns: readonly string[]
}

/** The resources a resource's responses join in (a stock shows its product's name and SKU). */
const JOINED: Partial<Record<ResourceName, readonly Joined[]>> = {
  products: [
    { resource: 'categories', field: 'category_id', columns: ['name'] },
    { resource: 'suppliers', field: 'supplier_id', columns: ['name'] },
  ],
  stocks: [
    { resource: 'products', field: 'product_id', columns: ['name', 'sku'] },
    { resource: 'warehouses', field: 'warehouse_id', columns: ['name'] },
  ],
  invoices: [{ resource: 'shops', field: 'shop_id', columns: ['name'] }],
}

/**
 * The rows of `resource` as another resource shows them (only some of their columns): their own
 * row tags, so that a change of another column (a product's price) leaves the joining reads (the
 * stock pages) cached.
 */
function joinedView(resource: ResourceName, by: ResourceName): string {
  return `${resource}>${by}`
}

/** Who joins `resource` in, and which of its columns they show. */
function joinersOf(resource: ResourceName): { by: ResourceName; columns: readonly string[] }[] {
  const out: { by: ResourceName; columns: readonly string[] }[] = []
  for (const [by, joins] of Object.entries(JOINED) as [ResourceName, readonly Joined[]][])
    for (const j of joins) if (j.resource === resource) out.push({ by, columns: j.columns })
  return out
}

/** The column a filter reads, where it is not the filter's own name. */
const FILTER_COLUMNS: Readonly<Record<string, string>> = {
  category: 'category_id',
  supplier: 'supplier_id',
  search: 'name',
  min_price: 'sale_price',
  max_price: 'sale_price',
  product: 'product_id',
  warehouse: 'warehouse_id',
  shop: 'shop_id',
  max_quantity: 'quantity',
  since: 'created_at',
  until: 'created_at',
}

/** The tag every cached read of a resource in a company carries: `invalidate(..., [resource])` drops them all. */
function resourceTag(resource: ResourceName, companyId: number): string {
  return `${resource}:${companyId}`
}

/** The columns a list request's rows depend on: its ordering (or the default) and its filters. */
export function listColumns(spec: ListSpec, req: Request): string[] {
  return [...new Set([...orderingOf(spec, req), ...filterColumns(spec, req)])]
}

/** The columns a list request's filters read. */
function filterColumns(spec: ListSpec, req: Request): string[] {
  const q = req.query as Record<string, unknown>
  const columns = new Set<string>()
  for (const name of Object.keys(spec.filters.shape))
    if (q[name] !== undefined) columns.add(FILTER_COLUMNS[name] ?? name)
  return [...columns]
}

function orderingOf(spec: ListSpec, req: Request): string[] {
  const q = req.query as Record<string, unknown>
  const ordering = typeof q.ordering === 'string' ? q.ordering.split(',') : spec.defaultOrdering
  return ordering.map((o) => o.trim().replace(/^-/, '')).filter((o) => o !== '')
}

/**
 * Ordering columns holding numbers or timestamps: a page ordered by one of them alone is tagged by
 * the range of its values, so that a write naming the column's old and new value drops only the
 * pages the row moved across (cache-kit's `ColumnRange`).
 */
const RANGED = new Set(['sale_price', 'quantity', 'created_at', 'updated_at'])

/** The column a list page is tagged by range: its ordering's only column, when {@link RANGED}. */
function rangedColumn(spec: ListSpec, req: Request): string | undefined {
  const ordering = orderingOf(spec, req)
  return ordering.length === 1 && RANGED.has(ordering[0] as string) ? ordering[0] : undefined
}

/** A money, quantity or timestamp column's value as a number (timestamps in ms); `NaN` if none. */
export function orderValue(v: unknown): number {
  if (typeof v === 'number') return v
  if (v instanceof Date) return v.getTime()
  if (v === null || v === undefined) return Number.NaN
  const s = String(v)
  // The sent body's timestamps are ISO 8601 in UTC (`toTimestamp`), which Date.parse reads exactly:
  // a page's range is read on every miss, so the common form skips the normalisation.
  if (s.length === 24 && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(23) === 90 /* Z */)
    return Date.parse(s)
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s)
  return Date.parse(toIso(s) ?? '')
}

/**
 * How a write moved the ranged columns it changed, from the row before and after it (read in the
 * write's transaction): timestamps widened by a second, since a database may keep them rounded.
 */
export function columnMoves(before: Row | undefined, after: Row, columns: readonly string[]): ColumnRange[] {
  const moves: ColumnRange[] = []
  for (const column of columns) {
    if (!RANGED.has(column) || !(column in after)) continue
    const from = orderValue(before?.[column])
    const to = orderValue(after[column])
    const slack = column.endsWith('_at') ? 1000 : 0
    moves.push({ column, low: Math.min(from, to) - slack, high: Math.max(from, to) + slack })
  }
  return moves
}

type Row = Record<string, unknown>

function idsOf(rows: readonly Row[], field: string): (string | number)[] {
  const ids: (string | number)[] = []
  for (const r of rows) {
    const v = r[field]
    if (typeof v === 'number' || typeof v === 'string') ids.push(v)
  }
  return ids
}

/** The rows a response's body holds: a list page's `results`, or the one record of a detail. */
function rowsOf(body: unknown): readonly Row[] {
  const results = (body as { results?: unknown }).results
  return Array.isArray(results) ? (results as Row[]) : [body as Row]
}

/**
 * What a cached read of `resource` shows, for `cacheResponse`'s `rows`: its own rows (a list also
 * depends on the columns of `list` and on its company's inserts and deletes) and the joined ones.
 */
export function readRows(resource: ResourceName, list: ListSpec | undefined): RowsOptions[] {
  // The company, as writes name it (the response's own key scope holds more, see `cachedRead`).
  const scope = (req: Request) => companyOf(req)
  const own: RowsOptions = list
    ? {
        resource,
        scope,
        ids: (body) => idsOf(rowsOf(body), 'id'),
        columns: (req) => {
          const ranged = rangedColumn(list, req)
          return listColumns(list, req).filter((c) => c !== ranged)
        },
        ranges: (body, req) => {
          const column = rangedColumn(list, req)
          if (column === undefined) return []
          const values = rowsOf(body).map((r) => orderValue(r[column]))
          // An empty page or a NULL value: no range known, so the page depends on the whole column.
          const known = values.length > 0 && values.every(Number.isFinite)
          return [
            known
              ? { column, low: Math.min(...values), high: Math.max(...values) }
              : { column, low: Number.NaN, high: Number.NaN },
          ]
        },
        list: true,
      }
    : { resource, scope, ids: (body) => idsOf(rowsOf(body), 'id') }
  const joined = (JOINED[resource] ?? []).map(
    (j): RowsOptions => ({
      resource: joinedView(j.resource, resource),
      scope,
      ids: (body) => idsOf(rowsOf(body), j.field),
    }),
  )
  return [own, ...joined]
}

/** The tags of a cached read of `resource` (besides its rows): its resource tag. */
export function readTags(resource: ResourceName, companyId: number): string[] {
  return [resourceTag(resource, companyId)]
}

/**
 * The tags of a list's cached pagination data: a `cached` list's count reads only the list's
 * filters (one count entry serves every ordering, so tagging it with the ordering of whichever
 * request computed it would drop it on every write to that column), while a `smart` list's page
 * boundaries read its ordering too.
 */
export function pageCacheTags(spec: ListSpec, req: Request, companyId: number): string[] {
  const columns = spec.strategy === 'smart' ? listColumns(spec, req) : filterColumns(spec, req)
  return [
    resourceTag(spec.resource, companyId),
    ...rowReadTags({ resource: spec.resource, scope: companyId, columns, list: true }),
  ]
}

/** What a write changed in its company: the rows (and columns) of a resource, or all of a resource. */
export type Change =
  | ResourceName
  | {
      readonly resource: ResourceName
      /** Rows inserted, updated or deleted. */
      readonly ids: readonly number[]
      /** Columns updated (an update); rows that lists order or filter by them move. */
      readonly columns?: readonly string[]
      /** Of the columns updated, those moved between known values (see {@link columnMoves}). */
      readonly ranges?: readonly ColumnRange[]
      /** Rows inserted or deleted: the company's lists and counts of the resource change. */
      readonly membership?: boolean
      /** The rows were deleted: every read joining them in changes too. */
      readonly deleted?: boolean
    }

/** The invalidations of `changes` in `companyId`: row changes, and the tags of whole resources. */
export function changeTargets(
  companyId: number,
  changes: readonly Change[],
): { rows: RowChange[]; tags: string[] } {
  const rows: RowChange[] = []
  const tags: string[] = []
  for (const c of changes) {
    if (typeof c === 'string') {
      tags.push(resourceTag(c, companyId))
      continue
    }
    const { deleted: _, ...change } = c
    rows.push({ ...change, scope: companyId })
    // The reads joining these rows in, where the change touches a column they show (an insert
    // touches none: no row refers to a new one yet; a deletion touches every column).
    for (const j of joinersOf(c.resource)) {
      const touched = c.deleted === true || (c.columns ?? []).some((col) => j.columns.includes(col))
      if (touched && c.ids.length > 0)
        rows.push({ resource: joinedView(c.resource, j.by), scope: companyId, ids: c.ids })
    }
  }
  return { rows, tags }
}
