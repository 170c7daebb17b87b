import { type CacheResponseOptions, cacheResponse } from '@hotpath/cache-kit/express'
import type { Request, Response } from 'express'
import { companyOf } from '../http/request-context.js'
import type { AppDeps } from '../runtime-types.js'
import { readTags, type Staleness, staleTags } from './cache-tags.js'
import type { ResourceName } from './route-spec.js'

/** The paging parameters every list's cache key includes (plus its own filters). */
export const PAGE_QUERY = ['page', 'page_size', 'cursor', 'ordering'] as const

/** Options of {@link cachedRead}. */
export interface CachedReadOptions {
  readonly resource: ResourceName
  readonly ttl: CacheResponseOptions['ttl']
  /** Query parameters that change the response (everything else is left out of the key). */
  readonly query: readonly string[]
  /** `detail`: the response shows the one record `req.params.id` (tagged with its record tag). Default `list`. */
  readonly shows?: 'list' | 'detail'
}

/** A controller read: Express' request and response in, the response sent by the method. */
export type ReadMethod<This> = (this: This, req: Request, res: Response) => Promise<void>

/** What `@cachedRead({...})` is: a standard (TC39) decorator of a controller read method. */
export type CachedReadDecorator = <This>(
  method: ReadMethod<This>,
  context: ClassMethodDecoratorContext<This, ReadMethod<This>>,
) => ReadMethod<This>

/** The write generation each cached read runs under (see {@link WriteVersions}). */
const generations = new WeakMap<Request, string | undefined>()

/**
 * `@cachedRead({...})` on a controller method: cache-kit's `cacheResponse` decorator with this
 * service's policy — scoped to the caller's company (and, with shared write counters, to the
 * resource's current write generation), tagged `<resource>:<company>` so that company's writes
 * invalidate it. With `deps.cacheEnabled === false` (the perf command's "cache off" run) it changes nothing.
 */
export function cachedReadFactory(deps: Pick<AppDeps, 'cache' | 'cacheEnabled' | 'writeVersions'>) {
  return (options: CachedReadOptions): CachedReadDecorator => {
    if (deps.cacheEnabled === false) return (method) => method
    const versions = deps.writeVersions
    const tagsOf = (req: Request) =>
      readTags(
        options.resource,
        companyOf(req),
        options.shows === 'detail' ? String(req.params.id ?? '') : undefined,
      )
    const cache = cacheResponse(deps.cache, {
      ttl: options.ttl,
      // null: a generation could not be read, so this request bypasses the cache
      scope: (req) => {
        if (!versions) return String(companyOf(req))
        const generation = generations.get(req)
        return generation === undefined ? null : `${companyOf(req)}.${generation}`
      },
      tags: tagsOf,
      query: [...options.query],
    })
    return (method, context) => {
      const cached = cache(method, context)
      if (!versions) return cached
      return async function withGeneration(req, res) {
        generations.set(req, await versions.read(tagsOf(req)))
        return cached.call(this, req, res)
      }
    }
  }
}

/**
 * Invalidates what a write made stale in one company (see {@link Staleness}): call it after the
 * write committed and before responding (read-your-writes). With shared write counters it moves
 * their generations on first, so no instance serves (or stores for later) a response computed
 * before the write.
 */
export async function invalidate(
  deps: Pick<AppDeps, 'cache' | 'writeVersions'>,
  companyId: number,
  stale: readonly Staleness[],
): Promise<void> {
  const tags = staleTags(companyId, stale)
  await deps.writeVersions?.bump(tags)
  await deps.cache.invalidateTags(tags)
}
