import { cacheEntryOptions, cacheKey } from '../cache-keys.js'
import { type CountResult, smartCount } from '../count.js'
import { DEFAULTS } from '../defaults.js'
import type { ListQuery } from '../list-query.js'
import type { SmartOptions } from '../options.js'
import type { NumberedPage } from '../page.js'
import { fetchRows, orderBy, within } from '../rows.js'
import { seekSegments } from '../seek.js'
import { type SortValue, tagValues, untagValues } from '../sort-values.js'
import { numberedPage, offsetRows, pageNumber } from './numbered.js'

/**
 * `smart`: the count is exact below `countThreshold` rows, else the planner's estimate (or a capped
 * count), cached per query fingerprint. Pages `1..checkpointEvery` are read by OFFSET (deferred join);
 * deeper pages seek from the cached boundary (last row's sort values) of page `j * checkpointEvery`
 * before them, then skip fewer than `checkpointEvery` pages. Boundaries are computed once, each from
 * the previous one, and cached with the count's tags. Needs `cache` for both; orderings on nullable
 * columns always use OFFSET.
 */
export function smartPage<Row>(list: ListQuery, options: SmartOptions): Promise<NumberedPage<Row>> {
  const page = pageNumber(options)
  const threshold = options.countThreshold ?? DEFAULTS.countThreshold
  const every = options.checkpointEvery ?? DEFAULTS.checkpointEvery
  const size = options.params.pageSize
  const { cache } = options
  const entry = cacheEntryOptions(list, options)

  const count: Promise<CountResult> = cache
    ? cache
        .getOrSet(
          cacheKey(list, 'smart-count', threshold),
          () => smartCount(list, threshold).then(encodeCount),
          entry,
        )
        .then((stored) => decodeCount(stored) ?? smartCount(list, threshold))
    : smartCount(list, threshold)

  const checkpoint = Math.floor((page - 1) / every)
  if (!cache || checkpoint === 0 || list.terms.some((t) => t.nullable)) {
    return numberedPage(options, page, count, offsetRows<Row>(list, page, size, true))
  }

  const boundary = (j: number): Promise<SortValue[] | null> =>
    cache
      .getOrSet(
        cacheKey(list, 'boundary', list.orderingKey, size, every, j),
        async () => {
          const from = j > 1 ? await boundary(j - 1) : undefined
          if (from === null) return ''
          const row = await boundaryRow(list, from, every * size - 1)
          return row ? JSON.stringify(tagValues(row) ?? null) : ''
        },
        entry,
      )
      .then((stored) =>
        typeof stored === 'string' && stored !== '' ? (untagValues(JSON.parse(stored)) ?? null) : null,
      )

  const rows = boundary(checkpoint).then((values) =>
    values === null
      ? []
      : fetchRows<Row>(list, {
          terms: list.terms,
          where: seekSegments(list.terms, values, list.dialect)[0] ?? [],
          offset: (page - 1 - checkpoint * every) * size,
          limit: size + 1,
          deferredJoin: true,
        }),
  )
  return numberedPage(options, page, count, rows)
}

/** The sort values of the row `offset` rows after `from` (or after the start), read from the index only. */
async function boundaryRow(
  list: ListQuery,
  from: SortValue[] | undefined,
  offset: number,
): Promise<unknown[] | null> {
  const where = from ? seekSegments(list.terms, from, list.dialect)[0] : undefined
  const columns = Object.fromEntries(list.terms.map((t, i) => [`__hp_k${i}`, t.column]))
  const q = orderBy(list, within(list, list.base.clone().clearSelect(), where), list.terms)
    .select(columns)
    .offset(offset)
    .limit(1)
  const rows = (await q) as Array<Record<string, unknown>>
  const row = rows[0]
  return row ? list.terms.map((_, i) => row[`__hp_k${i}`]) : null
}

function encodeCount(c: CountResult): string {
  return `${c.estimate ? '~' : '='}${c.count}`
}

function decodeCount(stored: unknown): CountResult | undefined {
  if (typeof stored !== 'string' || !/^[~=][0-9]{1,15}$/.test(stored)) return undefined
  return { count: Number(stored.slice(1)), estimate: stored[0] === '~' }
}
