import type { CacheError } from '../errors.js'

/**
 * What a store can do natively. The manager falls back where a flag is false: tag versions read in a
 * second call instead of the same round trip, in-process single-flight only without `locks`, no bus
 * without `pubsub`, `invalidatePattern` unsupported without `scan`.
 */
export interface StoreCapabilities {
  /** Shared between processes (Redis, a Keyv server): the cross-process lock is on by default. */
  readonly shared: boolean
  /** `getWithTagVersions` reads an entry and its tags' current versions in one round trip. */
  readonly readWithTags: boolean
  /** `getWithTagVersions` also takes a lease on a miss in that same round trip. */
  readonly leaseOnMiss: boolean
  /**
   * `getWithTagVersions` also stamps a lease's `stamp` tags on a miss, in that same round trip
   * (see {@link LeaseRequest.stamp}): a tagged `getOrSet` miss then costs the read and the write
   * only. Default `false`.
   */
  readonly stampOnMiss?: boolean
  /** `stampTags` creates a missing version atomically (`SET NX GET`); otherwise two writers may race (the loser's entry reads as a miss). */
  readonly atomicTags: boolean
  /**
   * `invalidateTags` applies all of its tags at once: no read sees some of them invalidated and
   * others not (one script on a single Redis node). `invalidateRows` then moves the write epochs and
   * drops the rows' tags in one call instead of two. Default `false`.
   */
  readonly atomicInvalidation?: boolean
  /**
   * `set` publishes a bus message given to it in the same round trip, after storing (one script on
   * a single Redis node): the manager then sends no `publish` of its own for a write. Default `false`.
   */
  readonly publishOnSet?: boolean
  /**
   * `set` releases a lease given to it in the same round trip, after storing (one script on a
   * single Redis node): a `getOrSet` miss then sends no release of its own. Default `false`.
   */
  readonly releaseOnSet?: boolean
  /**
   * `stampTagsClocked` takes `rowSets` and `invalidateTags` their `indexKeys` (see
   * {@link RowSetStamp}): a value showing many rows is then stamped with one row set tag instead of
   * a tag per row, which makes its reads check one version instead of one per row. Both calls must
   * be atomic, and the index must never be evicted (single-node Redis with no `allkeys-*` policy).
   * A store that may decline to stamp sets (its answer then has no `sets`) still drops the indexed
   * sets on `invalidateTags`, so that processes sharing its keys may differ on stamping them.
   * Default `false`.
   */
  readonly rowSets?: boolean
  /** `keys` lists keys matching a glob. */
  readonly scan: boolean
  /** `acquire` / `release` give leases for cross-process single-flight. */
  readonly locks: boolean
  /** `publish` / `subscribe` carry the L1 invalidation bus. */
  readonly pubsub: boolean
}

/** An entry's bytes plus the current versions of the tags named in its envelope. */
export interface ReadWithTags {
  readonly bytes: Uint8Array
  /** Current versions, in the envelope's tag order; `''` for a tag without one (entries carrying it are invalid). */
  readonly versions: readonly string[]
}

/**
 * Row sets to stamp along with `stampTagsClocked` (with `rowSets`): each set's version key gets a
 * version like any tag (kept at least `ttlMs`, the life of the entry stamped with it), and is
 * added to each of its index keys (one per row it shows, kept without expiry). An
 * `invalidateTags` given an index key drops every version key listed in it, then the index.
 */
export interface RowSetStamp {
  readonly sets: readonly { readonly key: string; readonly index: readonly string[] }[]
  readonly ttlMs: number
  /**
   * The versions the last `guard.length` tag keys had when the value began (its scope's write
   * epochs). Where one of them moved and `predate` is `false`, the value will not be stored: the
   * store may then stamp no set, and answers no `sets`.
   */
  readonly guard?: readonly string[]
}

/** Outcome of a read that missed and tried to take the lease it was given. */
export interface LeaseOutcome {
  readonly leased: boolean
  /** With the lease's `stamp` (and `stampOnMiss`): the versions stamped on this miss, in its order. */
  readonly versions?: readonly string[]
}

/** A lease to take on a miss: key, holder token and duration. */
export interface LeaseRequest {
  readonly key: string
  readonly token: string
  readonly ttlMs: number
  /**
   * With `stampOnMiss`: tags (names under the read's tag prefix) to stamp if the read misses, as
   * `stampTagsClocked` stamps them on the clock `clockKey`, so that the value about to be loaded
   * needs no stamp call of its own. Their versions come back in the {@link LeaseOutcome}.
   */
  readonly stamp?: { readonly tags: readonly string[]; readonly clockKey: string }
}

/**
 * The one small interface behind every backend. Keys arrive fully prefixed by the manager; values
 * are opaque envelope bytes. Implementations throw on failure (the manager adds timeouts, the
 * circuit breaker and fail-open). Prove a new store with the behavioural suite in `test/`.
 */
export interface CacheStore {
  /** Short name used in stats and errors, e.g. `'redis'`. */
  readonly name: string
  readonly capabilities: StoreCapabilities
  /** The entry's bytes, or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined>
  /**
   * With `readWithTags`: bytes and current tag versions in one round trip (tag keys are
   * `tagPrefix + name`). With `leaseOnMiss` and a `lease`, a miss also tries to take it.
   */
  getWithTagVersions?(
    key: string,
    tagPrefix: string,
    lease?: LeaseRequest,
  ): Promise<ReadWithTags | LeaseOutcome | undefined>
  /**
   * Optional, for in-process stores: `getWithTagVersions` done synchronously (a hit then costs no
   * promise). Returns the very bytes object that was `set`, so the manager can decode it once.
   */
  peek?(key: string, tagPrefix: string): ReadWithTags | undefined
  /**
   * Stores bytes for `ttlMs`; increments each of `counters` (entries written per tag) alongside.
   * With `publishOnSet`, also publishes `publish.message` on `publish.channel` once stored; with
   * `releaseOnSet`, also releases the lease `release.key` if `release.token` still holds it.
   */
  set(
    key: string,
    bytes: Uint8Array,
    ttlMs: number,
    counters: readonly string[],
    publish?: { readonly channel: string; readonly message: string },
    release?: { readonly key: string; readonly token: string },
  ): Promise<void>
  /** Deletes keys; resolves how many existed. */
  delete(keys: readonly string[]): Promise<number>
  /** Current versions of tag keys, `''` where a tag has none (read only). */
  tagVersions(tagKeys: readonly string[]): Promise<string[]>
  /**
   * Versions to stamp a new entry with: each tag's current version, created (a fresh unique token,
   * never reused) where it has none.
   */
  stampTags(tagKeys: readonly string[]): Promise<string[]>
  /**
   * Optional: `stampTags` that also reads the store's clock, which orders the creation of versions
   * (a version created after a call answered has a greater clock than that call's). With `since`
   * (a clock from an earlier call), `predate` says that none of the first `check` keys was
   * invalidated after `since`: each already had a version created at or before it, or the store's
   * log of recent invalidations, reaching back that far, holds none of them after it (`false`
   * when it cannot tell). `clockKey` names where a shared store keeps its clock (the manager passes
   * one per prefix). With `rowSets` (and the `rowSets` capability), also stamps those sets and
   * answers their versions in `sets`, in order; `sets` is absent when the store did not keep them
   * (the caller then stamps the rows' own tags).
   */
  stampTagsClocked?(
    tagKeys: readonly string[],
    since?: number,
    check?: number,
    clockKey?: string,
    rowSets?: RowSetStamp,
  ): Promise<{ versions: string[]; clock: number; predate: boolean; sets?: string[] }>
  /**
   * Invalidates tags and resets their counters; resolves the counters' sum. A store with
   * `stampTagsClocked` replaces each existing version by one created now on its clock (`clockKey`,
   * as there), so a later stamp can tell the invalidation's time; otherwise, or where a write
   * fails (a Redis out of memory still deletes), the versions are deleted. Either way every entry
   * stamped with an old version reads as invalid. With `rowSets`, `indexKeys` are row set indexes
   * (see {@link RowSetStamp}) whose sets are dropped in the same call.
   */
  invalidateTags(
    tagKeys: readonly string[],
    counterKeys: readonly string[],
    clockKey?: string,
    indexKeys?: readonly string[],
  ): Promise<number>
  /** With `scan`: yields batches of keys matching a Redis glob. */
  keys?(glob: string): AsyncIterable<string[]>
  /** With `locks`: takes a lease `key` for `ttlMs` when free; resolves whether it got it. */
  acquire?(key: string, token: string, ttlMs: number): Promise<boolean>
  /** With `locks`: releases the lease if `token` still holds it. */
  release?(key: string, token: string): Promise<void>
  /** With `pubsub`: publishes a bus message. */
  publish?(channel: string, message: string): Promise<void>
  /**
   * With `pubsub`: subscribes; resolves once listening, with a function that stops. Calls
   * `onResync` after a reconnect, since messages sent while disconnected are lost.
   */
  subscribe?(
    channel: string,
    onMessage: (message: string) => void,
    onResync?: () => void,
  ): Promise<() => Promise<void>>
  /**
   * Optional, for a store whose client connects in the background: while its first connection is
   * pending (a bounded wait), a promise that resolves once the wait is over, with `undefined` when
   * the store is usable or a `CacheError` saying why not; `undefined` when there is nothing to wait
   * for. The manager awaits it before a store call (outside the call's timeout) and in `ready()`.
   */
  connecting?(): Promise<CacheError | undefined> | undefined
  /** Releases what the store opened itself (never the client the user passed in). */
  close?(): Promise<void>
}
