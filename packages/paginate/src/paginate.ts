import type { Knex } from 'knex'
import { PaginationError } from './errors.js'
import { describeQuery } from './list-query.js'
import type { FastOptions, NumberedOptions, PaginateOptions } from './options.js'
import type { KeysetPage, NumberedPage, Page } from './page.js'
import { fastPage } from './strategies/fast.js'
import { cachedPage, optimizedPage } from './strategies/optimized.js'
import { smartPage } from './strategies/smart.js'

/**
 * Paginates a Knex query on a named table (`knex('products').where({ company_id })`) with one of four
 * strategies: `optimized`, `cached`, `smart` (numbered pages) or `fast` (keyset). To-one lookups go in
 * the `lookups` option so counts and key queries stay on the index. The query's own ORDER BY / LIMIT /
 * OFFSET are replaced by `params`. Rejects with a {@link PaginationError}: 400 for bad input
 * (`invalid_cursor`, `invalid_page`…), 404 for a page past the end, 500 for a misconfiguration
 * (`invalid_option`, `unsupported_dialect`).
 */
export function paginate<Row = Record<string, unknown>>(
  query: Knex.QueryBuilder,
  options: FastOptions,
): Promise<KeysetPage<Row>>
export function paginate<Row = Record<string, unknown>>(
  query: Knex.QueryBuilder,
  options: NumberedOptions,
): Promise<NumberedPage<Row>>
export function paginate<Row = Record<string, unknown>>(
  query: Knex.QueryBuilder,
  options: PaginateOptions,
): Promise<Page<Row>>
export async function paginate<Row>(query: Knex.QueryBuilder, options: PaginateOptions): Promise<Page<Row>> {
  const list = await describeQuery(query, options)
  switch (options.strategy) {
    case 'optimized':
      return optimizedPage<Row>(list, options)
    case 'cached':
      if (!options.cache)
        throw new PaginationError('invalid_option', 'strategy "cached" needs a cache', { status: 500 })
      return cachedPage<Row>(list, options)
    case 'smart':
      return smartPage<Row>(list, options)
    case 'fast':
      return fastPage<Row>(list, options)
    default:
      throw new PaginationError(
        'invalid_option',
        `unknown strategy ${String((options as { strategy: unknown }).strategy)}`,
        { status: 500 },
      )
  }
}
