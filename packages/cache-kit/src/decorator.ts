import type { Duration } from './duration.js'
import type { CacheManager } from './manager.js'

/** Options of {@link cached}: the key (and tags) are computed from the method's arguments. */
export interface CachedMethodOptions<A extends unknown[]> {
  /** Cache key for a call, e.g. `(id) => \`product:${id}\``. */
  key: (...args: A) => string
  ttl?: Duration
  grace?: Duration
  /** Tags for the entry, fixed or computed from the arguments. */
  tags?: readonly string[] | ((...args: A) => readonly string[])
}

/**
 * Standard (TC39) method decorator: the method's result is served through `cache.getOrSet` under
 * `key(...args)`, with single-flight and grace. The method must return a promise of a
 * JSON-serialisable value (or a `Uint8Array`).
 *
 * @example
 * class Products { @cached(cache, { key: (id) => `product:${id}`, ttl: '5m' }) async find(id: number) {…} }
 */
export function cached<This, A extends unknown[], R>(cache: CacheManager, options: CachedMethodOptions<A>) {
  return (
    method: (this: This, ...args: A) => Promise<R>,
    _context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): ((this: This, ...args: A) => Promise<R>) =>
    function (this: This, ...args: A): Promise<R> {
      const tags = typeof options.tags === 'function' ? options.tags(...args) : options.tags
      const opts: { ttl?: Duration; grace?: Duration; tags?: readonly string[] } = {}
      if (options.ttl !== undefined) opts.ttl = options.ttl
      if (options.grace !== undefined) opts.grace = options.grace
      if (tags !== undefined) opts.tags = tags
      return cache.getOrSet(options.key(...args), () => method.apply(this, args), opts)
    }
}
