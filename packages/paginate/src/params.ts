import { PaginationError } from './errors.js'
import { type OrderTerm, parseOrdering } from './ordering.js'

/** What `parsePageParams` reads from a request's query string. */
export interface PageParams {
  /** Page number from 1; `null` when the request gave none (page-number strategies then serve page 1). */
  readonly page: number | null
  /** Page size after clamping to the maximum. */
  readonly pageSize: number
  /** The requested (or default) ordering, without the unique tiebreaker. */
  readonly ordering: readonly OrderTerm[]
  /** The opaque cursor, checked later by `paginate` (strategy `fast`). */
  readonly cursor: string | null
  /** The other query parameters (filters, `ordering`), kept to build `next`/`previous` links. */
  readonly query: Readonly<Record<string, string | readonly string[]>>
}

/** Options of {@link parsePageParams}. */
export interface PageParamsOptions {
  /** Page size when the request gives none. Default 50. */
  defaultPageSize?: number
  /** Larger requested sizes are clamped to this. Default 100. */
  maxPageSize?: number
  /** Fields the client may order by, and the ordering when it names none (e.g. `['-created_at']`). */
  ordering: { allowed: readonly string[]; default: readonly string[] }
}

const PAGE_KEYS = new Set(['page', 'page_size', 'cursor'])
const MAX_CURSOR_LENGTH = 2048

/**
 * Validates `page`, `page_size`, `cursor` and `ordering` from an untrusted query object
 * (Express `req.query`). Throws {@link PaginationError}: `invalid_page` (0, -1, `abc`, `1e309`, arrays),
 * `invalid_page_size` (under 1, not an integer), `invalid_ordering` (unknown or repeated field),
 * `conflicting_params` (`cursor` with `page`), `invalid_cursor` (not a string). All 400.
 * A `page_size` over `maxPageSize` is clamped, not refused.
 */
export function parsePageParams(query: unknown, options: PageParamsOptions): PageParams {
  const q: Record<string, unknown> = typeof query === 'object' && query !== null ? { ...query } : {}
  const maxPageSize = options.maxPageSize ?? 100
  const defaultPageSize = Math.min(options.defaultPageSize ?? 50, maxPageSize)

  const page = q.page === undefined ? null : positiveInteger(q.page, 'invalid_page', 'page')
  const size =
    q.page_size === undefined ? null : positiveInteger(q.page_size, 'invalid_page_size', 'page_size')

  let cursor: string | null = null
  if (q.cursor !== undefined) {
    if (typeof q.cursor !== 'string' || q.cursor === '' || q.cursor.length > MAX_CURSOR_LENGTH) {
      throw new PaginationError('invalid_cursor', 'cursor must be the opaque string a previous page gave')
    }
    cursor = q.cursor
  }
  if (cursor !== null && page !== null) {
    throw new PaginationError('conflicting_params', 'give either cursor or page, not both')
  }

  let ordering: OrderTerm[]
  if (q.ordering === undefined || q.ordering === '') {
    ordering = parseOrdering(options.ordering.default.join(','), options.ordering.allowed)
  } else if (typeof q.ordering === 'string') {
    ordering = parseOrdering(q.ordering, options.ordering.allowed)
  } else {
    throw new PaginationError('invalid_ordering', 'ordering must be one comma-separated list')
  }

  const rest: Record<string, string | readonly string[]> = {}
  for (const [key, value] of Object.entries(q)) {
    if (PAGE_KEYS.has(key)) continue
    if (typeof value === 'string') rest[key] = value
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) rest[key] = value as string[]
  }

  return {
    page,
    pageSize: size === null ? defaultPageSize : Math.min(size, maxPageSize),
    ordering,
    cursor,
    query: rest,
  }
}

function positiveInteger(value: unknown, code: 'invalid_page' | 'invalid_page_size', name: string): number {
  // Digits only: rejects 0, -1, 1.5, 1e3, 1e309, ' 2', arrays and objects (`page[]=1`, `page[a]=1`).
  if (typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value)) {
    const n = Number(value)
    if (Number.isSafeInteger(n)) return n
  }
  throw new PaginationError(code, `${name} must be a whole number from 1`)
}
