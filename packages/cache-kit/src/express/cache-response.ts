import type { NextFunction, Request, Response } from 'express'
import type { ResponseCache } from './cache-port.js'
import { callForm, decorate, type MethodRunner } from './call-form.js'
import type { MiddlewareDecorator } from './dual.js'
import type { Handler } from './handler.js'
import { NO_ARGS } from './handler.js'
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
  const runner: MethodRunner = (req, res, next, run, thisArg, args) =>
    handleRequest(cache, policy, req, res, next, run, thisArg, args)
  // `function` with three parameters: Express treats a four-parameter function as an error handler.
  return function cacheResponseHandler(a: unknown, b: unknown, c: unknown) {
    const form = callForm(b, c)
    if (form !== 'middleware') return decorate(form, a, b, c, runner)
    const next = c as NextFunction
    return handleRequest(
      cache,
      policy,
      a as Request,
      b as Response,
      next,
      next as Handler,
      undefined,
      NO_ARGS,
    )
  } as MiddlewareDecorator
}
