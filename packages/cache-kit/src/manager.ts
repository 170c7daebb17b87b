import { BusLink } from './bus.js'
import type { CacheEntry, GetOrSetOptions, Loader, SetOptions, TagSnapshot } from './cache-types.js'
import type { CacheCodec } from './codec.js'
import { parseDuration } from './duration.js'
import { type EncodedEntry, encodeEntry } from './entry-codec.js'
import { CacheError } from './errors.js'
import { CacheEmitter } from './events.js'
import { compileGlob } from './glob.js'
import { L1Tier } from './l1.js'
import { FAILED, L2Tier, type RemoteRead, SLOW } from './l2.js'
import {
  type CacheManagerOptions,
  type Consistency,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { SingleFlight } from './single-flight.js'
import { type CacheStats, cacheStats, type TierStats, tierStats } from './stats.js'
import type { LeaseRequest } from './stores/store.js'

export type { CacheEntry, GetOrSetOptions, Loader, SetOptions, TagSnapshot } from './cache-types.js'

/** When an entry was written and when its ttl ends (epoch ms). */
type Times = { readonly storedAt: number; readonly expiresAt: number }

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
  private readonly o: ResolvedOptions
  private readonly l2: L2Tier
  private readonly l1: L1Tier | undefined
  private readonly loads: SingleFlight
  private readonly l1Stats = tierStats()
  private readonly c = { hits: 0, misses: 0, stale: 0, coalesced: 0, loads: 0, oversized: 0, corrupt: 0 }
  private readonly bus: BusLink
  private closed = false

  constructor(options: CacheManagerOptions = {}) {
    super()
    this.o = resolveOptions(options)
    this.codec = this.o.codec
    this.name = this.o.name
    this.consistency = this.o.strict ? 'strict' : 'eventual'
    this.l2 = new L2Tier(this.o, {
      report: (error, operation, key) =>
        this.emit('error', key === undefined ? { error, operation } : { error, operation, key }),
      corrupt: (error, key) => {
        this.c.corrupt++
        this.emit('error', { error, operation: 'decode', key })
      },
      replayed: (tags, keys) => {
        // Other processes missed these too: their L1 copies go now.
        this.bus.publish({ ...(tags.length ? { t: tags } : {}), ...(keys.length ? { k: keys } : {}) })
        if (tags.length) this.emit('invalidate', { kind: 'tags', tags, count: 0, source: 'local' })
        if (keys.length) this.emit('invalidate', { kind: 'keys', keys, count: 0, source: 'local' })
      },
    })
    this.l1 = this.o.l1 && new L1Tier(this.o.l1.maxEntries, this.o.l1.ttl)
    this.loads = new SingleFlight({
      o: this.o,
      l2: this.l2,
      counters: this.c,
      isClosed: () => this.closed,
      l1Generation: () => this.l1?.generation,
      hit: this.hit.bind(this),
      fromL1: this.fromL1.bind(this),
      fromL1Checked: this.fromL1Checked.bind(this),
      fromL2: this.fromL2.bind(this),
      write: this.write.bind(this),
      reportError: (error, key) => this.emit('error', { error, operation: 'refresh', key }),
    })
    this.bus = new BusLink(this.o, this.l2, this.l1, this.emit.bind(this))
  }

  /** Resolves once the invalidation bus (if any) is listening. Never rejects: a failed bus is reported as an `'error'`. */
  ready(): Promise<void> {
    return this.bus.ready
  }

  /** The value under `key`, or `undefined` on a miss (a stale entry within grace is returned). */
  async get<T>(key: string, options: { failOpen?: boolean } = {}): Promise<T | undefined> {
    return (await this.getEntry<T>(key, options))?.value
  }

  /**
   * The entry under `key` with its timing: fresh (`stale: false`), or within grace (`stale: true`);
   * `undefined` on a miss. With `failOpen: false` a store failure rejects with `CacheError`.
   */
  async getEntry<T>(key: string, options: { failOpen?: boolean } = {}): Promise<CacheEntry<T> | undefined> {
    const failOpen = options.failOpen ?? this.o.failOpen
    const near = this.o.strict ? await this.fromL1Checked<T>(key, failOpen) : this.fromL1<T>(key, Date.now())
    if (near === FAILED) return undefined
    if (near) return near
    const r = await this.fromL2(key, failOpen)
    return r && r !== FAILED && 'envelope' in r
      ? this.hit('l2', key, r.value as T, r.envelope, Date.now())
      : undefined
  }

  /**
   * `getEntry` without waiting, where no I/O is needed (L1, an in-process store's decoded entry);
   * `null` when only `getEntry` can tell (remote store, first read, strict). Counts like `getEntry`.
   */
  peekEntry<T>(key: string): CacheEntry<T> | undefined | null {
    if (this.o.strict) return null
    const now = Date.now()
    const near = this.l1?.get(key, now)
    if (near) return this.hit('l1', key, near.value as T, near, now)
    const r = this.l2.canPeek ? this.l2.peek(key) : SLOW
    if (r === SLOW) return null
    if (this.l1) this.l1Stats.misses++
    const got = this.landL2(key, r)
    return got && got !== FAILED && 'envelope' in got
      ? this.hit('l2', key, got.value as T, got.envelope, now)
      : undefined
  }

  /** Stores `value` (JSON-serialisable, or a `Uint8Array` kept as raw bytes). `undefined` is not stored. */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    if (value === undefined) return
    const failOpen = options.failOpen ?? this.o.failOpen
    const snap = options.snapshot
    const tags = snap ? snap.tags : (options.tags ?? [])
    const versions = snap ? snap.versions : await this.l2.stampTags(tags, failOpen)
    if (versions) await this.write(key, value, options, tags, versions, failOpen)
  }

  /**
   * Takes the current versions of `tags` (creating missing ones) for a later `set(..., { snapshot })`:
   * take it before computing a value, and an invalidation that happens while it is computed makes
   * the stored entry invalid. `undefined` when the store failed (then do not store the value).
   */
  async snapshotTags(
    tags: readonly string[],
    options: { failOpen?: boolean } = {},
  ): Promise<TagSnapshot | undefined> {
    const versions = await this.l2.stampTags(tags, options.failOpen ?? this.o.failOpen)
    return versions && { tags: [...tags], versions }
  }

  /**
   * The cached value, or the loader's (stored, then returned). Concurrent callers for one key share
   * one store read and one loader run per process (and across processes with `lock`); a loader
   * error rejects them all. A stale entry within grace is returned at once while one background
   * refresh runs. Callers that waited get their own copy, never the leader's object.
   */
  getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    return this.loads.run(key, loader, options)
  }

  /** Deletes keys (here, in the store and, with a bus, in other processes' L1). Resolves how many existed. */
  async delete(key: string, ...more: string[]): Promise<number> {
    const keys = [key, ...more]
    this.l1?.delete(keys)
    const n = await this.l2.delete(keys, this.o.failOpen)
    this.bus.publish({ k: keys })
    this.emit('invalidate', { kind: 'keys', keys, count: n, source: 'local' })
    return n
  }

  /**
   * Makes every entry carrying one of `tags` invalid, in O(1) per tag (its version is deleted;
   * entries stamped with it stop matching on read; a delete works even on a Redis out of memory). Resolves how many entries were written under those tags since their last invalidation
   * (an upper bound: overwritten or expired entries still count).
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0
    this.l1?.evictTags(tags)
    const n = await this.l2.invalidateTags(tags, this.o.failOpen)
    this.bus.publish({ t: tags })
    this.emit('invalidate', { kind: 'tags', tags, count: n, source: 'local' })
    return n
  }

  /**
   * Deletes this cache's keys matching a Redis glob (`*`, `?`, `[…]`, `\`), never keys outside the
   * prefix (whose glob characters are escaped). O(keyspace): a SCAN over every master. Rejects with
   * `CacheError` `unsupported` when the store cannot list keys.
   */
  async invalidatePattern(glob: string): Promise<number> {
    if (!this.o.store.keys) throw new CacheError('unsupported', `store ${this.o.store.name} cannot list keys`)
    this.l1?.evictMatching(compileGlob(glob))
    const n = await this.l2.deleteMatching(glob, this.o.failOpen)
    this.bus.publish({ p: glob })
    this.emit('invalidate', { kind: 'pattern', pattern: glob, count: n, source: 'local' })
    return n
  }

  /** Counters since creation: totals, then per tier. */
  stats(): CacheStats {
    return cacheStats(this.c, this.l2.stats, this.l2.guard, this.l1 && this.l1Stats)
  }

  /** Stops the bus and waits for background refreshes. Never closes the client you passed in. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.loads.settled()
    await this.bus.close()
    await this.o.store.close?.()
  }

  private hit<T>(tier: 'l1' | 'l2', key: string, value: T, times: Times, now: number): CacheEntry<T> {
    const { storedAt, expiresAt } = times
    const stale = now >= expiresAt
    const t: TierStats = tier === 'l1' ? this.l1Stats : this.l2.stats
    t.hits++
    this.c.hits++
    if (stale) {
      t.stale++
      this.c.stale++
    }
    if (this.wants('hit')) this.emit('hit', { key, tier, stale })
    return { value, stale, storedAt, expiresAt }
  }

  /**
   * L1 under `consistency: 'strict'`: a tagged entry counts only if its tags still have the versions
   * it was stamped with in the store (one round trip); otherwise it is dropped. `FAILED`: the store
   * could not say (fail-open: the caller must not trust L1).
   */
  private async fromL1Checked<T>(key: string, failOpen: boolean) {
    const e = this.l1?.get(key, Date.now())
    if (e && e.tags.length > 0) {
      const current = await this.l2.tagVersions(e.tags, failOpen)
      if (!current) return FAILED
      if (!e.versions.every((v, i) => current[i] === v)) {
        this.l1?.delete([key])
        this.l1Stats.misses++
        return undefined
      }
    }
    return this.fromL1<T>(key, Date.now())
  }

  private fromL1<T>(key: string, now: number): CacheEntry<T> | undefined {
    if (!this.l1) return undefined
    const e = this.l1.get(key, now)
    if (e) return this.hit('l1', key, e.value as T, e, now)
    this.l1Stats.misses++
    return undefined
  }

  /**
   * Reads the store, counting a miss and filling L1 on a hit (the caller counts the hit). Resolves
   * the entry, or on a miss `undefined`, `FAILED` (the store failed) or the lease outcome.
   */
  private async fromL2(key: string, failOpen: boolean, lease?: LeaseRequest) {
    const near = this.l2.canPeek ? this.l2.peek(key) : SLOW
    if (near !== SLOW) return this.landL2(key, near, lease)
    const since = this.l1?.generation
    return this.landL2(key, await this.l2.read(key, failOpen, lease), lease, since)
  }

  /** Counts a store miss, or fills L1 with a store hit (the caller counts the hit). */
  private landL2(key: string, r: RemoteRead, lease?: LeaseRequest, since?: number) {
    if (!r || r === FAILED || 'leased' in r) {
      this.l2.stats.misses++
      this.c.misses++
      if (this.wants('miss')) this.emit('miss', { key })
      return lease || r === FAILED ? r : undefined
    }
    this.l1?.fill(key, r.envelope, r.value, Date.now(), since)
    return r
  }

  private async write(
    key: string,
    value: unknown,
    options: SetOptions & { l1Since?: number | undefined },
    tags: readonly string[],
    versions: readonly string[],
    failOpen: boolean,
  ): Promise<EncodedEntry | undefined> {
    const ttl = parseDuration(options.ttl ?? this.o.ttl)
    if (ttl <= 0) return undefined
    const grace = parseDuration(options.grace ?? this.o.grace)
    const now = Date.now()
    const stamps = tags.map((name, i) => ({ name, version: versions[i] ?? '' }))
    const meta = { storedAt: now, expiresAt: now + ttl, graceUntil: now + ttl + grace, tags: stamps }
    const enc = await encodeEntry(value, meta, options.compress, this.o)
    if (!enc) {
      this.c.oversized++
      return undefined
    }
    this.l1?.set(key, { ...meta, value, tags, versions }, now, options.l1Since)
    await this.l2.write(key, enc.bytes, ttl + grace, tags, failOpen)
    this.bus.publish({ k: [key] })
    return enc
  }
}
