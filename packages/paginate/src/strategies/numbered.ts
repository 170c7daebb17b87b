import type { CountResult } from '../count.js'
import { PaginationError } from '../errors.js'
import { pageUrl } from '../links.js'
import type { ListQuery } from '../list-query.js'
import type { CommonOptions } from '../options.js'
import { NumberedPage } from '../page.js'
import { fetchRows, type RowWindow } from '../rows.js'

/** The page number a numbered strategy serves; a cursor belongs to `fast` and is refused. */
export function pageNumber(options: CommonOptions): number {
  if (options.params.cursor !== null) {
    throw new PaginationError('invalid_cursor', 'this list is paginated by page number; drop the cursor')
  }
  return options.params.page ?? 1
}

/** Rows of page `page` by OFFSET (deferred join), one extra row to learn whether a next page exists. */
export function offsetRows<Row>(
  list: ListQuery,
  page: number,
  size: number,
  deferredJoin: boolean,
): Promise<Row[]> {
  return fetchRows<Row>(list, offsetWindow(list, page, size, deferredJoin))
}

/** The window of page `page`, plus one row. */
export function offsetWindow(list: ListQuery, page: number, size: number, deferredJoin: boolean): RowWindow {
  return { terms: list.terms, offset: (page - 1) * size, limit: size + 1, deferredJoin }
}

/** Awaits count and rows together and builds the page; past the end is `invalid_page` (404). */
export async function numberedPage<Row>(
  options: CommonOptions,
  page: number,
  count: Promise<CountResult>,
  rows: Promise<Row[]>,
): Promise<NumberedPage<Row>> {
  const size = options.params.pageSize
  const [c, fetched] = await Promise.all([count, rows])
  const hasNext = fetched.length > size
  const results = hasNext ? fetched.slice(0, size) : fetched
  if (page > 1 && results.length === 0) {
    throw new PaginationError('invalid_page', `page ${page} is past the last page`, { status: 404 })
  }
  // The rows win over a count that is estimated or cached from before a write.
  const totalPages = Math.max(1, Math.ceil(c.count / size), hasNext ? page + 1 : page)
  const link = (n: number) =>
    pageUrl(options.baseUrl ?? '', options.params.query, { page: String(n), page_size: String(size) })
  return new NumberedPage(
    results,
    page,
    size,
    c.count,
    c.estimate,
    totalPages,
    hasNext ? link(page + 1) : null,
    page > 1 ? link(page - 1) : null,
  )
}
