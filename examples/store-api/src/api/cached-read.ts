import { type CacheResponseOptions, cacheResponse } from '@hotpath/cache-kit/express'
import { companyOf } from '../http/request-context.js'
import type { Cache } from '../runtime-types.js'
import { type ResourceName, resourceTag } from './route-spec.js'

/** The paging parameters every list's cache key includes (plus its own filters). */
export const PAGE_QUERY = ['page', 'page_size', 'cursor', 'ordering'] as const

/** Options of {@link cachedRead}. */
export interface CachedReadOptions {
  readonly resource: ResourceName
  readonly ttl: CacheResponseOptions['ttl']
  /** Query parameters that change the response (everything else is left out of the key). */
  readonly query: readonly string[]
}

type LegacyMethodDecorator = (target: object, key: string | symbol, descriptor: PropertyDescriptor) => void

/**
 * `@cachedRead({...})` on a controller method: cache-kit's `cacheResponse` decorator with this
 * service's policy — scoped to the caller's company, tagged `<resource>:<company>` so that company's
 * writes invalidate it. With `enabled: false` (the perf command's "cache off" run) it is a no-op.
 */
export function cachedReadFactory(cache: Cache, enabled: boolean) {
  return (options: CachedReadOptions): LegacyMethodDecorator => {
    if (!enabled) return () => {}
    return cacheResponse(cache, {
      ttl: options.ttl,
      scope: (req) => String(companyOf(req)),
      tags: (req) => [resourceTag(options.resource, companyOf(req))],
      query: [...options.query],
    }) as LegacyMethodDecorator
  }
}

/** Invalidates one company's cached reads of `resources` (call after the write committed, before responding). */
export async function invalidate(
  cache: Cache,
  companyId: number,
  resources: readonly ResourceName[],
): Promise<void> {
  await cache.invalidateTags(resources.map((r) => resourceTag(r, companyId)))
}
