import { cacheEntryOptions, cacheKey } from '../cache-keys.js'
import { exactCount } from '../count.js'
import { bindingReplacer, type ListQuery } from '../list-query.js'
import type { CachedOptions, OptimizedOptions } from '../options.js'
import type { NumberedPage } from '../page.js'
import { fetchRows, type RowWindow, readRows, rowsQuery } from '../rows.js'
import { numberedPage, offsetRows, offsetWindow, pageNumber } from './numbered.js'

/** `optimized`: exact COUNT and the page's rows (deferred join) in parallel. */
export function optimizedPage<Row>(list: ListQuery, options: OptimizedOptions): Promise<NumberedPage<Row>> {
  const page = pageNumber(options)
  const count = exactCount(list).then((count) => ({ count, estimate: false }))
  const rows = offsetRows<Row>(list, page, options.params.pageSize, options.deferredJoin ?? true)
  return numberedPage(options, page, count, rows)
}

/**
 * `cached`: as `optimized`, the COUNT read through `options.cache`, tagged so a write can drop it;
 * with `cacheRows`, the page's rows too (they come back as the cache stores them: JSON values).
 */
export function cachedPage<Row>(list: ListQuery, options: CachedOptions): Promise<NumberedPage<Row>> {
  const page = pageNumber(options)
  const count = options.cache
    .getOrSet(cacheKey(list, 'count'), () => exactCount(list), cacheEntryOptions(list, options))
    .then(async (stored) => {
      // Read back from a shared cache: untrusted until checked.
      const count =
        typeof stored === 'number' && Number.isSafeInteger(stored) && stored >= 0
          ? stored
          : await exactCount(list)
      return { count, estimate: false }
    })
  const deferred = options.deferredJoin ?? true
  const rows = options.cacheRows
    ? cachedRows<Row>(list, options, offsetWindow(list, page, options.params.pageSize, deferred))
    : offsetRows<Row>(list, page, options.params.pageSize, deferred)
  return numberedPage(options, page, count, rows)
}

/** The page's rows through the cache, keyed by the rows query's own SQL and bindings (lookups included). */
async function cachedRows<Row>(list: ListQuery, options: CachedOptions, w: RowWindow): Promise<Row[]> {
  const q = rowsQuery(list, w)
  const sql = q.toSQL()
  const key = cacheKey(list, 'rows', sql.sql, JSON.stringify(sql.bindings, bindingReplacer))
  const stored = await options.cache.getOrSet(
    key,
    () => readRows<Row>(list, q),
    cacheEntryOptions(list, options),
  )
  return Array.isArray(stored) ? (stored as Row[]) : fetchRows<Row>(list, w)
}
