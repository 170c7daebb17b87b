import { type CursorDirection, openCursor, signCursor } from '../cursor.js'
import { PaginationError } from '../errors.js'
import { pageUrl } from '../links.js'
import type { ListQuery, SortTerm } from '../list-query.js'
import type { FastOptions } from '../options.js'
import { reverseOrdering } from '../ordering.js'
import { KeysetPage } from '../page.js'
import { fetchRows } from '../rows.js'
import { seekSegments } from '../seek.js'

/**
 * `fast`: keyset pagination. Fetches `page_size + 1` rows after (or, for a `prev` cursor, before) the
 * cursor's sort values, segment by segment (see `seekSegments`); no COUNT, no OFFSET.
 */
export async function fastPage<Row>(list: ListQuery, options: FastOptions): Promise<KeysetPage<Row>> {
  const { params, cursorSecret } = options
  if (!cursorSecret || cursorSecret.length === 0) {
    throw new PaginationError('invalid_option', 'strategy "fast" needs a cursorSecret', { status: 500 })
  }
  if (params.page !== null && params.page !== 1) {
    throw new PaginationError('invalid_page', 'this list is paginated by cursor; use the next/previous links')
  }
  const binding = `${list.orderingKey}\n${list.fingerprint}`
  const at =
    params.cursor === null ? null : openCursor(cursorSecret, params.cursor, binding, list.terms.length)
  const backwards = at?.direction === 'prev'
  const terms = backwards ? reverseOrdering(list.terms) : list.terms
  const size = params.pageSize
  let rows: Row[] = []
  if (at === null) {
    rows = await fetchRows<Row>(list, { terms, where: [], offset: 0, limit: size + 1, deferredJoin: false })
  } else {
    for (const where of seekSegments(terms, at.values, list.dialect)) {
      const need = size + 1 - rows.length
      rows = rows.concat(
        await fetchRows<Row>(list, { terms, where, offset: 0, limit: need, deferredJoin: false }),
      )
      if (rows.length > size) break
    }
  }
  const more = rows.length > size
  if (more) rows = rows.slice(0, size)
  if (backwards) rows.reverse()
  const hasNext = backwards ? at !== null : more
  const hasPrevious = backwards ? more : at !== null
  const sign = (direction: CursorDirection, row: Row) =>
    signCursor(cursorSecret, direction, sortValues(list.terms, row), binding)
  const first = rows[0]
  const last = rows[rows.length - 1]
  const nextCursor = hasNext && last !== undefined ? sign('next', last) : null
  const previousCursor = hasPrevious && first !== undefined ? sign('prev', first) : null
  const link = (cursor: string | null) =>
    cursor === null ? null : pageUrl(options.baseUrl ?? '', params.query, { cursor, page_size: String(size) })
  return new KeysetPage(
    rows,
    size,
    nextCursor,
    previousCursor,
    link(nextCursor),
    link(previousCursor),
    (row) => sign('next', row),
  )
}

/** Reads a row's sort values; a missing column or an undeclared NULL is a configuration error (500). */
export function sortValues(terms: readonly SortTerm[], row: unknown): unknown[] {
  const record = row as Record<string, unknown>
  return terms.map((t) => {
    const v = record[t.key]
    if (v === undefined) {
      throw new PaginationError('invalid_option', `rows must include the sort column "${t.key}"`, {
        status: 500,
      })
    }
    if (v === null && !t.nullable) {
      throw new PaginationError('invalid_option', `"${t.key}" holds NULL: list it in the "nullable" option`, {
        status: 500,
      })
    }
    return v
  })
}
