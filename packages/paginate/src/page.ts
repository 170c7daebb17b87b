import { linkHeader } from './links.js'

/** The contract's page-number body (`optimized`, `cached`, `smart`). */
export interface NumberedPageJSON<Row = Record<string, unknown>> {
  count: number
  count_is_estimate: boolean
  page: number
  page_size: number
  total_pages: number
  next: string | null
  previous: string | null
  results: Row[]
}

/** The contract's keyset body (`fast`). */
export interface KeysetPageJSON<Row = Record<string, unknown>> {
  page_size: number
  next_cursor: string | null
  previous_cursor: string | null
  next: string | null
  previous: string | null
  results: Row[]
}

/** A Relay connection (edges + pageInfo) made from a page. */
export interface RelayConnection<Row = Record<string, unknown>> {
  edges: Array<{ node: Row; cursor: string }>
  pageInfo: {
    hasNextPage: boolean
    hasPreviousPage: boolean
    startCursor: string | null
    endCursor: string | null
  }
  /** The count of a page-number page (maybe an estimate); `null` for keyset pages. */
  totalCount: number | null
}

/** What both page kinds share: the rows and the `next`/`previous` links. */
abstract class LinkedPage<Row> {
  abstract readonly results: Row[]
  abstract readonly next: string | null
  abstract readonly previous: string | null

  /** RFC 8288 `Link` header value (`rel="next"`, `rel="prev"`); `''` when there is neither. */
  linkHeader(): string {
    return linkHeader(this.next, this.previous)
  }
}

/** A page served by number (`optimized`, `cached`, `smart`). */
export class NumberedPage<Row = Record<string, unknown>> extends LinkedPage<Row> {
  /** Discriminant: `'numbered'`. */
  readonly kind = 'numbered' as const

  constructor(
    override readonly results: Row[],
    readonly page: number,
    readonly pageSize: number,
    readonly count: number,
    readonly countIsEstimate: boolean,
    readonly totalPages: number,
    override readonly next: string | null,
    override readonly previous: string | null,
  ) {
    super()
  }

  /** The contract's snake_case body. */
  toJSON(): NumberedPageJSON<Row> {
    return {
      count: this.count,
      count_is_estimate: this.countIsEstimate,
      page: this.page,
      page_size: this.pageSize,
      total_pages: this.totalPages,
      next: this.next,
      previous: this.previous,
      results: this.results,
    }
  }

  /** A Relay connection; edge cursors are positional (`offset:<n>`, base64url), not keyset cursors. */
  toRelay(): RelayConnection<Row> {
    const start = (this.page - 1) * this.pageSize
    const edges = this.results.map((node, i) => ({
      node,
      cursor: Buffer.from(`offset:${start + i}`).toString('base64url'),
    }))
    return connection(edges, this.next !== null, this.previous !== null, this.count)
  }
}

/** A keyset page (`fast`): no count, opaque signed cursors. */
export class KeysetPage<Row = Record<string, unknown>> extends LinkedPage<Row> {
  /** Discriminant: `'keyset'`. */
  readonly kind = 'keyset' as const

  constructor(
    override readonly results: Row[],
    readonly pageSize: number,
    readonly nextCursor: string | null,
    readonly previousCursor: string | null,
    override readonly next: string | null,
    override readonly previous: string | null,
    private readonly cursorAfter: (row: Row) => string,
  ) {
    super()
  }

  /** The contract's snake_case body. */
  toJSON(): KeysetPageJSON<Row> {
    return {
      page_size: this.pageSize,
      next_cursor: this.nextCursor,
      previous_cursor: this.previousCursor,
      next: this.next,
      previous: this.previous,
      results: this.results,
    }
  }

  /** A Relay connection; each edge's cursor continues the walk after that row. */
  toRelay(): RelayConnection<Row> {
    const edges = this.results.map((node) => ({ node, cursor: this.cursorAfter(node) }))
    return connection(edges, this.nextCursor !== null, this.previousCursor !== null, null)
  }
}

function connection<Row>(
  edges: Array<{ node: Row; cursor: string }>,
  hasNextPage: boolean,
  hasPreviousPage: boolean,
  totalCount: number | null,
): RelayConnection<Row> {
  const startCursor = edges[0]?.cursor ?? null
  const endCursor = edges[edges.length - 1]?.cursor ?? null
  return { edges, pageInfo: { hasNextPage, hasPreviousPage, startCursor, endCursor }, totalCount }
}

/** What `paginate` returns: discriminate on `kind`. */
export type Page<Row = Record<string, unknown>> = NumberedPage<Row> | KeysetPage<Row>
