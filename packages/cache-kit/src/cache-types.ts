import type { Duration } from './duration.js'
import type { CacheError } from './errors.js'

/** An entry as `getEntry` returns it. */
export interface CacheEntry<T> {
  value: T
  /** Past its ttl, served within its grace period. */
  stale: boolean
  /** When it was written (epoch ms). */
  storedAt: number
  /** End of its ttl (epoch ms). */
  expiresAt: number
}

/**
 * Tags with the versions they had when `snapshotTags` ran. Pass it to `set` so that a value
 * computed after the snapshot is stored invalid if a tag was invalidated meanwhile.
 */
export interface TagSnapshot {
  readonly tags: readonly string[]
  readonly versions: readonly string[]
  /**
   * Set by `snapshotTags` on a cache with an L1: its eviction count then. A value `set` with the
   * snapshot stays out of L1 if an invalidation was heard since (L1 copies are not checked against
   * the store's versions without strict consistency).
   */
  readonly since?: number
  /**
   * The store's clock when the snapshot was taken, where the store keeps one (memory, single-node
   * Redis). Pass it as `predating` to a later `snapshotTags` to learn whether tags were left alone
   * since.
   */
  readonly clock?: number
  /**
   * With `snapshotTags(..., { predating })`: none of the first `predating.count` tags was
   * invalidated since the snapshot `predating.clock` came from was taken (each had its version
   * then, or the store's log of recent invalidations tells). `false` when the store cannot tell.
   */
  readonly predate?: boolean
}

/** Per-call options of `set`. */
export interface SetOptions {
  ttl?: Duration
  /** Tags to invalidate the entry by (`invalidateTags`). At most 255. */
  tags?: readonly string[]
  /** Past the ttl, how long the entry may still be served stale. */
  grace?: Duration
  /** `false`: never gzip this entry (e.g. a body that is already gzipped). */
  compress?: boolean
  /** Overrides the manager's `failOpen` for this call. */
  failOpen?: boolean
  /**
   * Stamp the entry with a snapshot taken before the value was computed (it replaces `tags`).
   * `getOrSet` does this by itself; use it when you compute and `set` yourself.
   */
  snapshot?: TagSnapshot
}

/** Per-call options of `getOrSet`. */
export interface GetOrSetOptions<T> extends SetOptions {
  /** Store (and share with concurrent callers) only values this accepts. Default: every value but `undefined`. */
  cacheIf?: (value: T) => boolean
  /** Cross-process lease for this call; default from the manager's `lock`. */
  lock?: boolean
}

/** A loader for `getOrSet`. */
export type Loader<T> = () => T | Promise<T>

/**
 * What `CacheManager.ready()` resolves with: `ok` once the store is usable, or the
 * `store_unavailable` error saying why not once the store's first-connection wait ran out.
 */
export type CacheReadiness = { readonly ok: true } | { readonly ok: false; readonly error: CacheError }
