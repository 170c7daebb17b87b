import type {
  CacheEntry,
  CacheReadiness,
  GetOrSetOptions,
  Loader,
  SetOptions,
  TagSnapshot,
} from './cache-types.js'
import type { CacheCodec } from './codec.js'
import { type Duration, parseDuration } from './duration.js'
import { CacheError } from './errors.js'
import { CacheEmitter } from './events.js'
import { compileGlob } from './glob.js'
import { FAILED } from './l2.js'
import {
  type CacheManagerOptions,
  type Consistency,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { type RowChange, rowChangeTags } from './row-tags.js'
import { SingleFlight } from './single-flight.js'
import type { CacheStats } from './stats.js'
import { Tiers } from './tiers.js'

export type {
  CacheEntry,
  CacheReadiness,
  GetOrSetOptions,
  Loader,
  SetOptions,
  TagSnapshot,
} from './cache-types.js'

/**
 * The object cache: a store (memory, Redis, Keyv), an optional in-process L1 in front of it, tags,
 * single-flight `getOrSet`, grace, timeouts, a circuit breaker and fail-open. See `docs/cache-kit.md`.
 */
export class CacheManager extends CacheEmitter {
  /** The gzip codec entries are written with (`'zlib'` or `'fflate'`). */
  readonly codec: CacheCodec
  /** Name used in metrics labels (default: the prefix). */
  readonly name: string
  /** `'strict'` or `'eventual'` (the `consistency` option). */
  readonly consistency: Consistency
  /**
   * Entries this many bytes or larger are gzipped (the `compressThreshold` option; `Infinity` when
   * it is `false`). `cacheResponse` gzips a stored response body by the same rule.
   */
  readonly compressThreshold: number
  /**
   * Whether `snapshotTags` may stamp row sets when asked (`rowSets`): a single Redis node, without
   * an L1 or under strict consistency. `false` for the memory, Keyv and Cluster stores and an L1
   * under eventual consistency, where computing row set tags is wasted work. A single node may still
   * decline them (`rowSets: false`, an `allkeys-*` policy): its answer then has no `setVersions`.
   */
  readonly keepsRowSets: boolean
  private readonly options: ResolvedOptions
  private readonly tiers: Tiers
  private readonly loads: SingleFlight
  private closed = false

  constructor(options: CacheManagerOptions = {}) {
    super()
    const o = resolveOptions(options)
    this.options = o
    this.codec = o.codec
    this.name = o.name
    this.consistency = o.strict ? 'strict' : 'eventual'
    this.compressThreshold = o.compressThreshold
    const events = this.events
    this.tiers = new Tiers(o, events, {
      report: (error, operation, key) =>
        events.emit('error', key === undefined ? { error, operation } : { error, operation, key }),
      corrupt: (error, key) => {
        this.tiers.counters.corrupt++
        events.emit('error', { error, operation: 'decode', key })
      },
      replayed: (tags, keys) => {
        // Other processes missed these too: their L1 copies go now.
        this.tiers.bus.publish({ ...(tags.length ? { t: tags } : {}), ...(keys.length ? { k: keys } : {}) })
        if (tags.length) events.emit('invalidate', { kind: 'tags', tags, count: 0, source: 'local' })
        if (keys.length) events.emit('invalidate', { kind: 'keys', keys, count: 0, source: 'local' })
      },
    })
    this.loads = new SingleFlight(o, this.tiers, events)
    this.keepsRowSets = this.tiers.l2.rowSets
  }

  /**
   * Resolves once the store is usable (a fresh Redis client has made its first connection) and the
   * invalidation bus (if any) is listening: `{ ok: true }`, or `{ ok: false, error }` when the
   * store's first-connection wait (`connectWait`) ran out. Never rejects: a failed bus is reported
   * as an `'error'`.
   */
  async ready(): Promise<CacheReadiness> {
    const [, error] = await Promise.all([this.tiers.bus.ready, this.options.store.connecting?.()])
    return error ? { ok: false, error } : { ok: true }
  }

  /** The value under `key`, or `undefined` on a miss (a stale entry within grace is returned). */
  async get<T>(key: string, options: { failOpen?: boolean } = {}): Promise<T | undefined> {
    if (this.options.strict) return (await this.getEntry<T>(key, options))?.value
    // `getEntry`'s eventual path, inlined: one async frame less on every L2 hit.
    const near = this.tiers.fromL1<T>(key, Date.now())
    if (near) return near.value
    const r = await this.tiers.fromL2(key, options.failOpen ?? this.options.failOpen)
    return r && r !== FAILED && 'envelope' in r
      ? this.tiers.hit('l2', key, r.value as T, r.envelope, Date.now()).value
      : undefined
  }

  /**
   * The entry under `key` with its timing: fresh (`stale: false`), or within grace (`stale: true`);
   * `undefined` on a miss. With `failOpen: false` a store failure rejects with `CacheError`.
   */
  async getEntry<T>(key: string, options: { failOpen?: boolean } = {}): Promise<CacheEntry<T> | undefined> {
    const failOpen = options.failOpen ?? this.options.failOpen
    const near = this.options.strict
      ? await this.tiers.fromL1Checked<T>(key, failOpen)
      : this.tiers.fromL1<T>(key, Date.now())
    if (near === FAILED) return undefined
    if (near) return near
    const r = await this.tiers.fromL2(key, failOpen)
    return r && r !== FAILED && 'envelope' in r
      ? this.tiers.hit('l2', key, r.value as T, r.envelope, Date.now())
      : undefined
  }

  /**
   * `getEntry` without waiting, where no I/O is needed (L1, an in-process store's decoded entry);
   * `null` when only `getEntry` can tell (remote store, first read, strict). Counts like `getEntry`.
   */
  peekEntry<T>(key: string): CacheEntry<T> | undefined | null {
    return this.options.strict ? null : this.tiers.peek<T>(key)
  }

  /** Stores `value` (JSON-serialisable, or a `Uint8Array` kept as raw bytes). `undefined` is not stored. */
  set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    if (value === undefined) return Promise.resolve()
    // In flight for `settled` from the start, its stamp included.
    return this.tiers.track(this.store(key, value, options))
  }

  private async store(key: string, value: unknown, options: SetOptions): Promise<void> {
    const failOpen = options.failOpen ?? this.options.failOpen
    const snap = options.snapshot
    const tags = snap ? snap.tags : (options.tags ?? [])
    const versions = snap ? snap.versions : await this.tiers.l2.stampTags(tags, failOpen)
    if (!versions) return
    // A `getOrSet` write of this key still in flight lands first, so it never overwrites this one.
    await this.tiers.landed([key])
    await this.tiers.write(key, value, { ...options, l1Since: snap?.since }, tags, versions, failOpen)
  }

  /**
   * Takes the current versions of `tags` (creating missing ones) for a later `set(..., { snapshot })`:
   * take it before computing a value, and an invalidation that happens while it is computed makes
   * the stored entry invalid. `undefined` when the store failed (then do not store the value).
   * `predating: { clock, count }` (a `clock` from an earlier snapshot) also tells, as `predate`,
   * whether none of the first `count` tags was invalidated since then.
   *
   * `rowSets: { sets: [{ tag, rows }], ttl }` (each `tag` a `rowSetTag`, its `rows` the `rowTags`
   * it stands for, among `tags`) stamps those sets too where the store keeps row sets (single-node
   * Redis; not with an L1 under eventual consistency), for an entry living `ttl`: their versions
   * are then in `setVersions`, and the entry may carry each set's tag in place of its rows' tags
   * (a row that is not among `tags` rejects with `CacheError` `invalid_option`).
   * `rowSets.guard`: the versions the last `guard.length` tags had when the value began (a scope's
   * write epochs, from an earlier snapshot). Where one moved and `predate` is not `true`, the value
   * must not be stored, so no set is stamped (`setVersions` absent).
   */
  async snapshotTags(
    tags: readonly string[],
    options: {
      failOpen?: boolean
      predating?: { clock: number; count: number }
      rowSets?: {
        sets: readonly { tag: string; rows: readonly string[] }[]
        ttl: Duration
        guard?: readonly string[]
      }
    } = {},
  ): Promise<(TagSnapshot & { readonly setVersions?: readonly string[] }) | undefined> {
    const since = this.tiers.l1?.generation
    const failOpen = options.failOpen ?? this.options.failOpen
    const p = options.predating
    const rs = options.rowSets
    if (rs) checkRowSets(tags, rs.sets)
    const sets = rs && {
      sets: rs.sets,
      ttlMs: parseDuration(rs.ttl),
      ...(rs.guard ? { guard: rs.guard } : {}),
    }
    const r = await this.tiers.l2.stampTagsClocked(tags, failOpen, p?.clock, p?.count, sets)
    if (!r) return undefined
    const snapshot: { -readonly [K in keyof TagSnapshot]: TagSnapshot[K] } & {
      setVersions?: readonly string[]
    } = { tags: [...tags], versions: r.versions }
    if (since !== undefined) snapshot.since = since
    if (r.clock !== undefined) snapshot.clock = r.clock
    if (p) snapshot.predate = r.predate
    if (r.sets) snapshot.setVersions = r.sets
    return snapshot
  }

  /**
   * The cached value, or the loader's (stored, then returned). Concurrent callers for one key share
   * one store read and one loader run per process (and across processes with `lock`); a loader
   * error rejects them all. A stale entry within grace is returned at once while one background
   * refresh runs. Callers that waited share one copy of the value (decoded once), never the
   * leader's object: treat it as read-only. On a shared store under fail-open (the default) it
   * resolves once the value is loaded and encoded, and the store write goes on behind it; this
   * process's own reads, sets and deletes of the key wait for that write (see `docs/cache-kit.md`).
   */
  getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    return this.loads.run(key, loader, options)
  }

  /** Deletes keys (here, in the store and, with a bus, in other processes' L1). Resolves how many existed. */
  async delete(key: string, ...more: string[]): Promise<number> {
    const keys = [key, ...more]
    this.tiers.l1?.delete(keys)
    // A `getOrSet` write of these keys still in flight lands first, so it cannot bring one back.
    await this.tiers.landed(keys)
    const n = await this.tiers.l2.delete(keys, this.options.failOpen)
    this.tiers.bus.publish({ k: keys })
    this.events.emit('invalidate', { kind: 'keys', keys, count: n, source: 'local' })
    return n
  }

  /**
   * Makes every entry carrying one of `tags` invalid, in O(1) per tag (its version is deleted;
   * entries stamped with it stop matching on read; a delete works even on a Redis out of memory). Resolves how many entries were written under those tags since their last invalidation
   * (an upper bound: overwritten or expired entries still count).
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0
    this.tiers.l1?.evictTags(tags)
    const n = await this.tiers.l2.invalidateTags(tags, this.options.failOpen)
    this.tiers.bus.publish({ t: tags })
    this.events.emit('invalidate', { kind: 'tags', tags, count: n, source: 'local' })
    return n
  }

  /**
   * Row-precise invalidation: drops the values that show a changed row (tagged with `rowTags`),
   * read a changed column or, on insert or delete (`membership`), list the scope (tagged with
   * `rowReadTags`). Each change's write epoch moves first, or in the same call where the store applies
   * one call atomically (see `rowEpochTag`), so a response whose
   * rows were read before the write is never stored after it. Call it after the write committed,
   * before answering. Resolves like `invalidateTags`.
   */
  async invalidateRows(changes: readonly RowChange[]): Promise<number> {
    if (changes.length === 0) return 0
    const all = changes.map(rowChangeTags)
    const epochs = [...new Set(all.map((c) => c.epoch))]
    const tags = [...new Set(all.flatMap((c) => c.tags))]
    // Where one call is not atomic, the epochs move first, on their own: a response must not see a
    // row tag already invalidated (and stamp its new version) while its scope's epoch is unmoved.
    if (this.options.store.capabilities.atomicInvalidation === true)
      return this.invalidateTags([...epochs, ...tags])
    await this.invalidateTags(epochs)
    return this.invalidateTags(tags)
  }

  /**
   * Deletes this cache's keys matching a Redis glob (`*`, `?`, `[…]`, `\`), never keys outside the
   * prefix (whose glob characters are escaped). O(keyspace): a SCAN over every master. Rejects with
   * `CacheError` `unsupported` when the store cannot list keys.
   */
  async invalidatePattern(glob: string): Promise<number> {
    if (!this.options.store.keys)
      throw new CacheError('unsupported', `store ${this.options.store.name} cannot list keys`)
    this.tiers.l1?.evictMatching(compileGlob(glob))
    await this.tiers.landed()
    const n = await this.tiers.l2.deleteMatching(glob, this.options.failOpen)
    this.tiers.bus.publish({ p: glob })
    this.events.emit('invalidate', { kind: 'pattern', pattern: glob, count: n, source: 'local' })
    return n
  }

  /**
   * Resolves once every store write this process has in flight has landed or failed: those a
   * `getOrSet` left behind it (it answers before its write lands; their leases are let go too) and
   * any other (`cacheResponse` stores a response after sending it). Await it where the process may
   * stop right after answering (a serverless function frozen between invocations, a script about
   * to exit); `close` waits for them too.
   */
  async settled(): Promise<void> {
    await this.tiers.landed()
  }

  /** Counters since creation: totals, then per tier. */
  stats(): CacheStats {
    return this.tiers.stats()
  }

  /** Stops the bus and waits for background refreshes. Never closes the client you passed in. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.loads.close()
    await this.tiers.landed()
    await this.tiers.bus.close()
    await this.options.store.close?.()
  }
}

/**
 * A row set's rows must be among the tags stamped with it: the race guard checks a set's rows
 * through their own tags' versions. A row that is not is a caller's mistake: `CacheError`
 * `invalid_option`.
 */
function checkRowSets(
  tags: readonly string[],
  sets: readonly { tag: string; rows: readonly string[] }[],
): void {
  const stamped = new Set(tags)
  for (const { tag, rows } of sets)
    for (const row of rows)
      if (!stamped.has(row))
        throw new CacheError(
          'invalid_option',
          `rowSets: row tag "${row}" of set "${tag}" is not among the tags`,
        )
}
