import type { CacheManager } from '../index.js'

/**
 * The part of a `CacheManager` the HTTP layer uses (`getEntry`, `set`, `snapshotTags`,
 * `invalidateTags`, `invalidatePattern`, `on`, `codec`): a `CacheManager` from
 * `@hotpath/cache-kit` is one.
 */
export type ResponseCache = Pick<
  CacheManager,
  'getEntry' | 'set' | 'snapshotTags' | 'invalidateTags' | 'invalidatePattern' | 'on' | 'codec'
>
