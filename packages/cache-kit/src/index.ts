export { type CacheCodec, zlibCodec } from './codec.js'
export { fflateCodec } from './codec-fflate.js'
export { type CachedMethodOptions, cached } from './decorator.js'
export { type Duration, parseDuration } from './duration.js'
export { CacheError, type CacheErrorCode } from './errors.js'
export type { CacheEventName, CacheEvents, CacheTier } from './events.js'
export {
  type CacheEntry,
  CacheManager,
  type CacheReadiness,
  type GetOrSetOptions,
  type Loader,
  type SetOptions,
  type TagSnapshot,
} from './manager.js'
export type { CacheManagerOptions, Consistency } from './options.js'
export {
  type ColumnRange,
  type RowChange,
  type RowId,
  type RowRead,
  rowReadTags,
  rowSetTag,
  rowTags,
} from './row-tags.js'
export type { CacheStats, TierStats } from './stats.js'
export { type MemoryStoreOptions, memoryStore } from './stores/memory.js'
export type { CacheStore, ReadWithTags, StoreCapabilities } from './stores/store.js'

/** Package version (a test keeps it equal to package.json's). */
export const VERSION = '0.1.0'
