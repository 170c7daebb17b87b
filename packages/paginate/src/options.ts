import type { Knex } from 'knex'
import type { PaginationCache } from './cache.js'
import type { PageParams } from './params.js'

/** Options every strategy takes. */
export interface CommonOptions {
  /** From `parsePageParams(req.query, …)`. */
  params: PageParams
  /** The unique, non-NULL tiebreaker column appended to every ordering. Default `'id'`. */
  unique?: string
  /**
   * Sort columns that may hold NULL (NULL sorts smallest on every database). The base table's nullable
   * columns are also read from the schema (once per knex instance); name here the columns of joined
   * tables or of views.
   */
  nullable?: readonly string[]
  /**
   * The index keyset seeks use (e.g. one on `(company_id, created_at, id)`). MySQL/MariaDB only: sent as
   * `FORCE INDEX`, so the seek is a `range` at every depth. Default: the fitting index read from
   * `information_schema` (see docs/paginate.md); name one when that guess cannot see your filters.
   */
  seekIndex?: string | undefined
  /**
   * To-one joins (and their selected columns) applied only to the page's rows, never to the count, the
   * key query of a deferred join or a boundary: e.g. `(q) => q.leftJoin('categories', …).select('categories.name as category')`.
   * Keeps those queries on a covering index. They run on an outer query over the page's rows, so they
   * never change how the query's own WHERE and SELECT resolve. Joins written into the query itself
   * work too, only slower.
   */
  lookups?: ((query: Knex.QueryBuilder) => void) | undefined
  /** Where `next`/`previous` point (e.g. `http://host/api/products`); other query parameters are kept. */
  baseUrl?: string
  /** HMAC key for cursors (required by `fast`). */
  cursorSecret?: string | Uint8Array
  /** A cache for counts and page boundaries (required by `cached`, optional for `smart`). */
  cache?: PaginationCache
  /** Life of cached counts and boundaries, ms. Default 5 minutes. */
  cacheTtl?: number
  /** Tags added to cached entries besides `paginate:<table>`, e.g. `company:42`. */
  cacheTags?: readonly string[]
}

/** `optimized`: exact COUNT and rows in parallel; rows by deferred join. */
export interface OptimizedOptions extends CommonOptions {
  strategy: 'optimized'
  /** Select the page's keys first, then join back (default true). */
  deferredJoin?: boolean
}

/** `cached`: as `optimized`, with the COUNT cached and tagged `paginate:<table>` plus `cacheTags`. */
export interface CachedOptions extends CommonOptions {
  strategy: 'cached'
  cache: PaginationCache
  /**
   * Cache the page's rows too, under the rows query's SQL and bindings, with the count's tags. Rows come
   * back as the cache stores them (through JSON in cache-kit: a `Date` becomes an ISO string). Default false.
   */
  cacheRows?: boolean
  deferredJoin?: boolean
}

/** `smart`: estimated counts on large lists and deep pages seeking from cached page boundaries. */
export interface SmartOptions extends CommonOptions {
  strategy: 'smart'
  /** Below this many rows the count is exact (default 10,000). */
  countThreshold?: number
  /** Keep a page boundary every this many pages (default 10). */
  checkpointEvery?: number
}

/** `fast`: keyset pagination with signed cursors; no COUNT, no OFFSET. */
export interface FastOptions extends CommonOptions {
  strategy: 'fast'
  cursorSecret: string | Uint8Array
}

/** The strategies whose pages are numbered. */
export type NumberedOptions = OptimizedOptions | CachedOptions | SmartOptions

/** Options of `paginate`: discriminate on `strategy`. */
export type PaginateOptions = NumberedOptions | FastOptions

/** A strategy name. */
export type Strategy = PaginateOptions['strategy']
