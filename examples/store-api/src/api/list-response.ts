import { paginate, parsePageParams } from '@hotpath/paginate'
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { companyOf } from '../http/request-context.js'
import { parseQuery } from '../http/validate.js'
import type { Cache } from '../runtime-types.js'
import { pageCacheTags } from './cache-policy.js'
import type { ListSpec, ListStrategy } from './route-spec.js'

/** What every list handler needs besides its query. */
export interface ListContext {
  readonly cache: Cache
  readonly cursorSecret: string
  readonly publicUrl: string | undefined
}

/** The absolute URL of this list (the paginator appends its own paging parameters). */
function listUrl(req: Request, publicUrl: string | undefined): string {
  // Links go into cached responses: build them from configuration, never from a client's Host header.
  const origin = publicUrl ?? ''
  return `${origin}${req.baseUrl}${req.path}`
}

/**
 * Validates the filters of `spec`, pages `build(filters)` with the route's strategy and sends the
 * contract's envelope (and a `Link` header). `enrich` batch-loads children for the whole page (one
 * query, whatever the page size); `serialize` maps each row to its public shape.
 */
export async function sendList<F>(
  req: Request,
  res: Response,
  ctx: ListContext,
  spec: ListSpec,
  build: (filters: F) => Knex.QueryBuilder,
  serialize: (row: Record<string, unknown>) => unknown,
  enrich?: (rows: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>,
): Promise<void> {
  const filters = parseQuery(spec.filters, req.query) as F
  // `cursor=` (empty) starts a keyset walk on any list; a cursor continues one; `page` on a keyset
  // list walks it by page number instead.
  const query = { ...(req.query as Record<string, unknown>) }
  const keysetStart = query.cursor === ''
  if (keysetStart) delete query.cursor
  const params = parsePageParams(query, {
    defaultPageSize: 50,
    maxPageSize: 100,
    ordering: { allowed: [...spec.ordering], default: [...spec.defaultOrdering] },
  })
  const strategy: ListStrategy =
    keysetStart || params.cursor !== null
      ? 'fast'
      : spec.strategy === 'fast' && params.page !== null
        ? 'optimized'
        : spec.strategy
  const companyId = companyOf(req)
  const hint = spec.seekIndex
  const useHint =
    hint !== undefined &&
    req.query.ordering === undefined &&
    !hint.unlessFilters.some((f) => (filters as Record<string, unknown>)[f] !== undefined)
  const page = await paginate(build(filters), {
    strategy,
    params,
    unique: 'id',
    cache: ctx.cache,
    // Counts and page boundaries are tagged with what they read: the writes that change it drop them.
    cacheTags: pageCacheTags(spec, req, companyId),
    baseUrl: listUrl(req, ctx.publicUrl),
    cursorSecret: ctx.cursorSecret,
    ...(useHint ? { seekIndex: hint.name } : {}),
    ...(spec.lookups ? { lookups: spec.lookups } : {}),
  })
  const link = page.linkHeader()
  if (link) res.set('Link', link)
  const body = page.toJSON()
  const rows = body.results as Record<string, unknown>[]
  const results = (enrich ? await enrich(rows) : rows).map(serialize)
  res.json({ ...body, results })
}
