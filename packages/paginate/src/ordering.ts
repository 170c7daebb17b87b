import { PaginationError } from './errors.js'

/** One ORDER BY term: a column and its direction. */
export interface OrderTerm {
  readonly column: string
  readonly direction: 'asc' | 'desc'
}

/** Parses `-created_at,name` against the allowed fields; unknown or repeated fields throw `invalid_ordering` (400). */
export function parseOrdering(input: string, allowed: readonly string[]): OrderTerm[] {
  const terms: OrderTerm[] = []
  const seen = new Set<string>()
  for (const raw of input.split(',')) {
    const part = raw.trim()
    if (part === '') continue
    const desc = part.startsWith('-')
    const column = desc ? part.slice(1) : part
    if (!allowed.includes(column)) {
      throw new PaginationError(
        'invalid_ordering',
        `cannot order by "${column}"; allowed: ${allowed.join(', ')}`,
      )
    }
    if (seen.has(column))
      throw new PaginationError('invalid_ordering', `"${column}" appears twice in ordering`)
    seen.add(column)
    terms.push({ column, direction: desc ? 'desc' : 'asc' })
  }
  return terms
}

/** The ordering as the `ordering` query parameter writes it (`-created_at,id`). */
export function formatOrdering(terms: readonly OrderTerm[]): string {
  return terms.map((t) => (t.direction === 'desc' ? `-${t.column}` : t.column)).join(',')
}

/** Appends the unique column (in the last term's direction) unless the ordering already ends the tie. */
export function withTiebreaker(terms: readonly OrderTerm[], unique: string): OrderTerm[] {
  const at = terms.findIndex((t) => t.column === unique)
  if (at >= 0) return terms.slice(0, at + 1)
  const last = terms[terms.length - 1]
  return [...terms, { column: unique, direction: last?.direction ?? 'asc' }]
}

/** The exact reverse order (with NULLs-smallest placement, reversing every direction reverses the walk). */
export function reverseOrdering<T extends OrderTerm>(terms: readonly T[]): T[] {
  return terms.map((t) => ({ ...t, direction: t.direction === 'asc' ? 'desc' : 'asc' }))
}
