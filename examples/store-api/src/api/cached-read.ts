import { createHmac } from 'node:crypto'
import { type CacheResponseOptions, cacheResponse } from '@hotpath/cache-kit/express'
import type { Request, Response } from 'express'
import { companyOf } from '../http/request-context.js'
import type { AppDeps } from '../runtime-types.js'
import { type Change, changeTargets, readRows, readTags } from './cache-policy.js'
import type { ListContext } from './list-response.js'
import type { ListSpec, ResourceName } from './route-spec.js'

/** The paging parameters every list's cache key includes (plus its own filters). */
export const PAGE_QUERY = ['page', 'page_size', 'cursor', 'ordering'] as const

/** Options of {@link cachedRead}. */
export interface CachedReadOptions {
  readonly resource: ResourceName
  readonly ttl: CacheResponseOptions['ttl']
  /** Query parameters that change the response (everything else is left out of the key). */
  readonly query: readonly string[]
  /** The list the read pages (its orderings and filters decide the columns it reads); absent for a detail. */
  readonly list?: ListSpec
}

/** A controller read: Express' request and response in, the response sent by the method. */
export type ReadMethod<This> = (this: This, req: Request, res: Response) => Promise<void>

/** What `@cachedRead({...})` is: a standard (TC39) decorator of a controller read method. */
export type CachedReadDecorator = <This>(
  method: ReadMethod<This>,
  context: ClassMethodDecoratorContext<This, ReadMethod<This>>,
) => ReadMethod<This>

/**
 * `@cachedRead({...})` on a controller method: cache-kit's `cacheResponse` decorator with this
 * service's policy — scoped to the caller's company, naming the rows it shows per
 * `cache-policy.ts`, so that company's writes invalidate exactly what they change. Across instances the cache's `consistency: 'strict'`
 * keeps it exact. With `deps.cacheEnabled === false` (the perf command's "cache off" run) it changes nothing.
 */
export function cachedReadFactory(
  deps: Pick<AppDeps, 'cache' | 'cacheEnabled' | 'onNotStored' | 'cursorSecret'>,
) {
  // A list's body carries cursors signed with the cursor secret, which a process with another
  // secret refuses (another instance, or this one after a restart with a generated secret): the
  // key holds a fingerprint of the secret, so each secret is served only its own pages. Rows and
  // tags stay the company's (`readRows`, `readTags`), so a write drops the pages of every secret.
  const signer = secretFingerprint(deps.cursorSecret)
  return (options: CachedReadOptions): CachedReadDecorator => {
    if (deps.cacheEnabled === false) return (method) => method
    const notStored = deps.onNotStored
    return cacheResponse(deps.cache, {
      ttl: options.ttl,
      scope: (req) => `${companyOf(req)}.${signer}`,
      tags: (req) => readTags(options.resource, companyOf(req)),
      rows: readRows(options.resource, options.list),
      query: [...options.query],
      ...(notStored && {
        onNotStored: (reason, req) => notStored(reason, String(req.res?.locals.route ?? 'unmatched')),
      }),
    })
  }
}

/**
 * A short, one-way fingerprint of the cursor secret: 9 bytes (12 base64url characters) of an
 * HMAC-SHA-256 keyed by it, of a label of this use alone, so it matches no other hash of the secret.
 */
function secretFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('store-api response cache key').digest('base64url').slice(0, 12)
}

/** A controller with a list and a detail read, built from the app's dependencies. */
export type ReadController = new (
  deps: AppDeps,
  ctx: ListContext,
) => {
  list(req: Request, res: Response): Promise<void>
  detail(req: Request, res: Response): Promise<void>
}

/**
 * An instance of `Controller` whose `list` and `detail` reads are `@cachedRead` with `options`
 * (the detail keyed on its path id alone), for a controller class
 * built without the dependencies its decorators would need.
 */
export function withCachedReads<C extends ReadController>(
  Controller: C,
  deps: AppDeps,
  ctx: ListContext,
  options: CachedReadOptions & { readonly list: ListSpec },
): InstanceType<C> {
  const cachedRead = cachedReadFactory(deps)
  class Cached extends (Controller as ReadController) {
    @cachedRead(options)
    override list(req: Request, res: Response): Promise<void> {
      return super.list(req, res)
    }

    @cachedRead({ resource: options.resource, ttl: options.ttl, query: [] })
    override detail(req: Request, res: Response): Promise<void> {
      return super.detail(req, res)
    }
  }
  return new Cached(deps, ctx) as InstanceType<C>
}

/**
 * Invalidates what a write changed in one company (see {@link Change}): call it after the write
 * committed and before responding. Once it resolved, no read that starts afterwards on any
 * instance gets a response computed before the write (read-your-writes; cache-kit's strict mode).
 */
export async function invalidate(
  deps: Pick<AppDeps, 'cache'>,
  companyId: number,
  changes: readonly Change[],
): Promise<void> {
  const { rows, tags } = changeTargets(companyId, changes)
  await Promise.all([deps.cache.invalidateRows(rows), deps.cache.invalidateTags(tags)])
}
