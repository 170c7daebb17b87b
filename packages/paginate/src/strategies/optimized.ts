import { cacheEntryOptions, cacheKey } from '../cache-keys.js'
import { exactCount } from '../count.js'
import type { ListQuery } from '../list-query.js'
import type { CachedOptions, OptimizedOptions } from '../options.js'
import type { NumberedPage } from '../page.js'
import { numberedPage, offsetRows, pageNumber } from './numbered.js'

/** `optimized`: exact COUNT and the page's rows (deferred join) in parallel. */
export function optimizedPage<Row>(list: ListQuery, options: OptimizedOptions): Promise<NumberedPage<Row>> {
  const page = pageNumber(options)
  const count = exactCount(list).then((count) => ({ count, estimate: false }))
  const rows = offsetRows<Row>(list, page, options.params.pageSize, options.deferredJoin ?? true)
  return numberedPage(options, page, count, rows)
}

/** `cached`: as `optimized`, the COUNT read through `options.cache`, tagged so a write can drop it. */
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
  const rows = offsetRows<Row>(list, page, options.params.pageSize, options.deferredJoin ?? true)
  return numberedPage(options, page, count, rows)
}
