import type { ResponseCache } from './cache-port.js'
import { type MiddlewareDecorator, middlewareDecorator } from './dual.js'
import { type CacheResponseOptions, resolvePolicy } from './options.js'
import { handleRequest } from './read-path.js'

/**
 * Caches GET/HEAD responses in `cache` (a `CacheManager`) under one policy, used either as an
 * Express middleware before the handler, or as a method decorator (TC39 or legacy
 * `experimentalDecorators`, detected from the call). Sends `X-Cache: HIT | MISS | STALE |
 * BYPASS`, a strong `ETag`, `Vary`, `Cache-Control` and `Age`; answers `If-None-Match` with
 * `304`; runs identical concurrent requests once per scope. A store failure never fails the
 * request (`BYPASS`). Throws `CacheResponseError` `invalid_option` on bad options (missing
 * `scope` without `public: true`, bad `ttl`), when called, never per request.
 */
export function cacheResponse(cache: ResponseCache, options: CacheResponseOptions): MiddlewareDecorator {
  const policy = resolvePolicy(options)
  return middlewareDecorator((call) => handleRequest(cache, policy, call))
}
