import type { CacheManager } from '../index.js'

/**
 * The part of a `CacheManager` the HTTP layer uses (`getEntry`, `set`, `snapshotTags`,
 * `invalidateTags`, `invalidateRows`, `invalidatePattern`, `on`, `codec`, and `consistency`,
 * `peekEntry`, `compressThreshold`, `keepsRowSets` when present): a `CacheManager` from
 * `@hotpath/cache-kit` is one.
 */
export type ResponseCache = Pick<
  CacheManager,
  | 'getEntry'
  | 'set'
  | 'snapshotTags'
  | 'invalidateTags'
  | 'invalidateRows'
  | 'invalidatePattern'
  | 'on'
  | 'codec'
> &
  Partial<Pick<CacheManager, 'consistency' | 'peekEntry' | 'compressThreshold' | 'keepsRowSets'>>
