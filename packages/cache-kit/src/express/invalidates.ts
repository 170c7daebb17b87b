import type { ResponseCache } from './cache-port.js'
import { type MiddlewareDecorator, middlewareDecorator } from './dual.js'
import type { InvalidationSpec } from './options.js'
import { handleWrite } from './write-path.js'

/** Options of {@link invalidates}. */
export interface InvalidatesOptions {
  /** Called with a failed invalidation (the response is still sent). Default: ignored. */
  onError?: (err: unknown) => void
}

function ignore(): void {}

/**
 * Invalidates tags (or `{ tags, patterns }` key globs) when the handler's response is a 2xx:
 * after the handler produced it (so after its transaction committed) and before it is sent, so
 * the client reads its own write. A non-2xx invalidates nothing. `targets` may be a function of
 * the request (sync or async). Works as an Express middleware and as a method decorator (TC39 or
 * legacy). Responses being computed in this process when it runs are neither shared nor stored.
 */
export function invalidates(
  cache: ResponseCache,
  targets: InvalidationSpec,
  options: InvalidatesOptions = {},
): MiddlewareDecorator {
  const onError = options.onError ?? ignore
  return middlewareDecorator((call) => handleWrite(cache, targets, onError, call))
}
