import { createHash } from 'node:crypto'
import { paginationTag } from './cache.js'
import { DEFAULTS } from './defaults.js'
import type { ListQuery } from './list-query.js'
import type { CommonOptions } from './options.js'

/** `paginate:<table>:<kind>:<hash of fingerprint and parts>`: one entry per query, never per tenant by accident. */
export function cacheKey(list: ListQuery, kind: string, ...parts: Array<string | number>): string {
  const hash = createHash('sha256')
    .update([list.fingerprint, ...parts].join('\0'))
    .digest('base64url')
    .slice(0, 22)
  return `paginate:${list.table}:${kind}:${hash}`
}

/** `{ ttl, tags }` for an entry: `paginate:<table>` plus the caller's tags. */
export function cacheEntryOptions(list: ListQuery, options: CommonOptions): { ttl: number; tags: string[] } {
  return {
    ttl: options.cacheTtl ?? DEFAULTS.cacheTtl,
    tags: [paginationTag(list.table), ...(options.cacheTags ?? [])],
  }
}
