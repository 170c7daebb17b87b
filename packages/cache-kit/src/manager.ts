import { randomUUID } from 'node:crypto'
import { startBus } from './bus.js'
import type { CacheEntry, GetOrSetOptions, Loader, SetOptions, TagSnapshot } from './cache-types.js'
import type { CacheCodec } from './codec.js'
import { parseDuration } from './duration.js'
import { type EncodedEntry, encodeEntry } from './entry-codec.js'
import type { PayloadKind } from './envelope.js'
import { CacheError } from './errors.js'
import { CacheEmitter } from './events.js'
import { globToRegExp } from './glob.js'
import { L1Tier } from './l1.js'
import { FAILED, L2Tier, type Remote } from './l2.js'
import {
  type CacheManagerOptions,
  type Consistency,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { deserialize, serialize } from './payload.js'
import { type CacheStats, type TierStats, tierStats } from './stats.js'
import type { LeaseRequest } from './stores/store.js'

export type { CacheEntry, GetOrSetOptions, Loader, SetOptions, TagSnapshot } from './cache-types.js'

type Flight = { value: unknown; share: boolean; kind?: PayloadKind; plain?: Uint8Array }
/**
 * `lease`: already taken by the read (`token`), or held by another process (`'busy'`);
 * `versions`: tag versions already stamped for this load (strict single-flight keys by them).
 */
type LeadOptions = GetOrSetOptions<never> & {
  degraded?: boolean
  lease?: { token: string } | 'busy'
  versions?: readonly string[]
}

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
  private readonly flights = new Map<string, Promise<Flight>>()
  private readonly refreshing = new Set<string>()
  private readonly background = new Set<Promise<unknown>>()
  private readonly l1Stats = tierStats()
  private readonly c = { hits: 0, misses: 0, stale: 0, coalesced: 0, loads: 0, oversized: 0, corrupt: 0 }
  private readonly id = randomUUID()
  private readonly busReady: Promise<void>
  private stopBus: (() => Promise<void>) | undefined
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
        this.publish({ ...(tags.length ? { t: tags } : {}), ...(keys.length ? { k: keys } : {}) })
        if (tags.length) this.emit('invalidate', { kind: 'tags', tags, count: 0, source: 'local' })
        if (keys.length) this.emit('invalidate', { kind: 'keys', keys, count: 0, source: 'local' })
      },
    })
    this.l1 = this.o.l1 && new L1Tier(this.o.l1.maxEntries, this.o.l1.ttl)
    this.busReady = this.o.bus && this.l1 ? this.startBus(this.l1) : Promise.resolve()
  }

  /** Resolves once the invalidation bus (if any) is listening. Never rejects: a failed bus is reported as an `'error'`. */
  ready(): Promise<void> {
    return this.busReady
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
  async getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    if (this.o.strict)
      return this.getOrSetStrict(key, loader as Loader<unknown>, options as GetOrSetOptions<never>)
    const near = this.fromL1<T>(key, Date.now())
    if (near) {
      if (near.stale) this.refresh(key, loader, options)
      return near.value
    }
    const running = this.flights.get(key)
    if (running) return this.follow(running, key, loader as Loader<unknown>, options) as Promise<T>
    const p = this.readOrLoad(key, loader as Loader<unknown>, options as GetOrSetOptions<never>)
    return (await this.fly(key, p)).value as T
  }

  /**
   * `getOrSet` under `consistency: 'strict'`: an L1 hit is checked against the store's tag versions,
   * and a miss joins only a flight that stamped the same versions, so nothing computed before an
   * invalidation that resolved before this call started is returned.
   */
  private async getOrSetStrict<T>(key: string, loader: Loader<unknown>, options: GetOrSetOptions<never>) {
    const failOpen = options.failOpen ?? this.o.failOpen
    const near = await this.fromL1Checked<T>(key, failOpen)
    if (near === FAILED) return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    if (near) {
      if (near.stale) this.refresh(key, loader, options)
      return near.value
    }
    const lease = this.leaseFor(key, options)
    const r = await this.fromL2(key, failOpen, lease)
    if (r === FAILED) return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    if (r && 'envelope' in r) {
      const e = this.hit('l2', key, r.value as T, r.envelope, Date.now())
      if (e.stale) this.refresh(key, loader, options)
      return e.value
    }
    const leased = lease && r?.leased ? lease.token : undefined
    const versions = await this.l2.stampTags(options.tags ?? [], failOpen)
    if (!versions) {
      if (leased) this.track(this.l2.release(key, leased))
      return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    }
    // A flight that stamped other versions began before an invalidation: never join it.
    const slot = `${key}\u0000${versions.join('\u0000')}`
    const running = this.flights.get(slot)
    if (running) {
      if (leased) this.track(this.l2.release(key, leased))
      return this.follow(running, key, loader, options) as Promise<T>
    }
    const lead: LeadOptions = { ...options, versions }
    if (lease) lead.lease = leased ? { token: leased } : 'busy'
    return (await this.fly(slot, this.lead(key, loader, lead))).value as T
  }

  /** Registers `p` as the flight in `slot` until it settles. */
  private fly(slot: string, p: Promise<Flight>): Promise<Flight> {
    this.flights.set(slot, p)
    const done = () => {
      if (this.flights.get(slot) === p) this.flights.delete(slot)
    }
    p.then(done, done)
    return p
  }

  /** A caller that found a flight running: a copy of its value, or its own load when not shareable. */
  private async follow(running: Promise<Flight>, key: string, loader: Loader<unknown>, options: object) {
    this.c.coalesced++
    const f = await running
    // Waiting callers get their own copy, never the leader's object or buffer.
    if (f.share) return f.kind && f.plain ? deserialize(f.kind, f.plain, true) : f.value
    // The leader's value must not be shared: this caller loads its own.
    return (await this.lead(key, loader, { ...options, lock: false } as LeadOptions)).value
  }

  /** The lease a `getOrSet` read takes on a miss, where the store can do it in the read itself. */
  private leaseFor(key: string, options: GetOrSetOptions<never>): LeaseRequest | undefined {
    const lock = this.o.lock
    return lock && options.lock !== false && this.o.store.capabilities.leaseOnMiss
      ? { key: this.l2.lockKey(key), token: randomUUID(), ttlMs: lock.ttl }
      : undefined
  }

  /** Deletes keys (here, in the store and, with a bus, in other processes' L1). Resolves how many existed. */
  async delete(key: string, ...more: string[]): Promise<number> {
    const keys = [key, ...more]
    this.l1?.delete(keys)
    const n = await this.l2.delete(keys, this.o.failOpen)
    this.publish({ k: keys })
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
    this.publish({ t: tags })
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
    this.l1?.evictMatching(globToRegExp(glob))
    const n = await this.l2.deleteMatching(glob, this.o.failOpen)
    this.publish({ p: glob })
    this.emit('invalidate', { kind: 'pattern', pattern: glob, count: n, source: 'local' })
    return n
  }

  /** Counters since creation: totals, then per tier. */
  stats(): CacheStats {
    const { hits, misses } = this.c
    const l2 = this.l2.stats
    const out: CacheStats = {
      ...this.c,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      sets: l2.sets,
      deletes: l2.deletes,
      errors: l2.errors,
      timeouts: l2.timeouts,
      circuitRejections: this.l2.guard.rejections,
      circuit: this.l2.guard.breaker?.state ?? 'closed',
      l2: { ...l2 },
    }
    if (this.l1) out.l1 = { ...this.l1Stats }
    return out
  }

  /** Stops the bus and waits for background refreshes. Never closes the client you passed in. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.busReady
    await Promise.allSettled([...this.background])
    await this.stopBus?.()
    await this.o.store.close?.()
  }

  private hit<T>(
    tier: 'l1' | 'l2',
    key: string,
    value: T,
    { storedAt, expiresAt }: { storedAt: number; expiresAt: number },
    now: number,
  ): CacheEntry<T> {
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
    const r = await this.l2.read(key, failOpen, lease)
    if (!r || r === FAILED || 'leased' in r) {
      this.l2.stats.misses++
      this.c.misses++
      if (this.wants('miss')) this.emit('miss', { key })
      return lease || r === FAILED ? r : undefined
    }
    const env = r.envelope
    const tags = env.tags.map((t) => t.name)
    const versions = env.tags.map((t) => t.version)
    this.l1?.set(key, { ...env, value: r.value, tags, versions }, Date.now())
    return r
  }

  private async readOrLoad(
    key: string,
    loader: Loader<unknown>,
    options: GetOrSetOptions<never>,
  ): Promise<Flight> {
    // On a single node the read also tries to take the lease, so a miss costs no extra round trip.
    const lease = this.leaseFor(key, options)
    const r = await this.fromL2(key, options.failOpen ?? this.o.failOpen, lease)
    // The store just failed: load without lease or write, so the call costs one timeout at most.
    if (r === FAILED) return this.lead(key, loader, { ...options, degraded: true })
    if (r && 'envelope' in r) {
      const e = this.hit('l2', key, r.value, r.envelope, Date.now())
      if (e.stale) this.refresh(key, loader, options)
      return { value: r.value, share: true, kind: r.envelope.kind, plain: r.plain }
    }
    if (!r || !lease) return this.lead(key, loader, options)
    return this.lead(key, loader, { ...options, lease: r.leased ? { token: lease.token } : 'busy' })
  }

  private async write(
    key: string,
    value: unknown,
    options: SetOptions,
    tags: readonly string[],
    versions: readonly string[],
    failOpen: boolean,
  ): Promise<EncodedEntry | undefined> {
    const ttl = parseDuration(options.ttl ?? this.o.ttl)
    if (ttl <= 0) return undefined
    const grace = parseDuration(options.grace ?? this.o.grace)
    const now = Date.now()
    const meta = {
      storedAt: now,
      expiresAt: now + ttl,
      graceUntil: now + ttl + grace,
      tags: tags.map((name, i) => ({ name, version: versions[i] ?? '' })),
    }
    const enc = await encodeEntry(value, meta, options.compress, this.o)
    if (!enc) {
      this.c.oversized++
      return undefined
    }
    this.l1?.set(key, { ...meta, value, tags, versions }, now)
    await this.l2.write(key, enc.bytes, ttl + grace, tags, failOpen)
    this.publish({ k: [key] })
    return enc
  }

  /** Runs the loader (holding the lease when locking), stores its value and says whether it may be shared. */
  private async lead(key: string, loader: Loader<unknown>, options: LeadOptions): Promise<Flight> {
    if (options.degraded) return this.loadUncached(loader, options)
    const failOpen = options.failOpen ?? this.o.failOpen
    const lock = options.lock ?? this.o.lock !== undefined
    let token: string | undefined
    if (typeof options.lease === 'object') token = options.lease.token
    else if (lock && this.o.lock && this.o.store.acquire) {
      const got = await this.waitForLease(key, options.lease === 'busy')
      if ('entry' in got)
        return { value: got.entry.value, share: true, kind: got.entry.envelope.kind, plain: got.entry.plain }
      token = got.token
    }
    try {
      const tags = options.tags ?? []
      // Versions are read before the loader runs: an invalidation during the load then makes the
      // stored entry invalid instead of letting it carry data older than the invalidation.
      const versions = options.versions ?? (await this.l2.stampTags(tags, failOpen))
      this.c.loads++
      const value = await loader()
      const share = value === undefined || (options.cacheIf ? options.cacheIf(value as never) : true)
      if (!share || value === undefined || !versions) return { value, share }
      const enc = await this.write(key, value, options, tags, versions, failOpen)
      return enc ? { value, share, kind: enc.kind, plain: enc.plain } : { value, share }
    } finally {
      // The entry is written; callers need not wait for the lease to go.
      if (token) this.track(this.l2.release(key, token))
    }
  }

  private async loadUncached(loader: Loader<unknown>, options: LeadOptions): Promise<Flight> {
    this.c.loads++
    const value = await loader()
    const share = value === undefined || (options.cacheIf ? options.cacheIf(value as never) : true)
    if (!share || value === undefined) return { value, share }
    const { kind, bytes } = serialize(value)
    return { value, share, kind, plain: bytes }
  }

  /** Takes the cross-process lease, or waits (bounded) for its holder's entry to appear. */
  private async waitForLease(key: string, busy: boolean): Promise<{ token?: string } | { entry: Remote }> {
    const lock = this.o.lock!
    const token = randomUUID()
    const deadline = Date.now() + lock.wait
    let pause = 5
    for (let first = true; ; first = false) {
      if (!(first && busy)) {
        const got = await this.l2.acquire(key, token, lock.ttl)
        if (got === undefined) return {}
        if (got) {
          // The previous holder may have written the entry and let go between our read and this
          // acquire: look once more before loading a second time.
          const entry = await this.l2.read(key, true)
          if (entry && entry !== FAILED && 'envelope' in entry && !entry.stale) {
            this.track(this.l2.release(key, token))
            return { entry }
          }
          return { token }
        }
      }
      await new Promise((r) => setTimeout(r, pause))
      pause = Math.min(pause * 2, 50)
      const entry = await this.l2.read(key, true)
      if (entry === FAILED) return {}
      if (entry && 'envelope' in entry && !entry.stale) return { entry }
      if (Date.now() >= deadline) return {}
    }
  }

  /** One background refresh per key at a time; callers keep getting the stale entry meanwhile. */
  private refresh(key: string, loader: Loader<unknown>, options: GetOrSetOptions<never>): void {
    if (this.refreshing.has(key) || this.closed) return
    this.refreshing.add(key)
    const p = this.lead(key, loader, options)
      .catch((err: unknown) => {
        const error = new CacheError('loader_failed', `background refresh of ${key} failed`, { cause: err })
        this.emit('error', { error, operation: 'refresh', key })
      })
      .finally(() => this.refreshing.delete(key))
    this.track(p)
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p)
    p.finally(() => this.background.delete(p))
  }

  private publish(message: { k?: readonly string[]; t?: readonly string[]; p?: string }): void {
    if (this.o.bus && this.o.store.publish) this.l2.publish(JSON.stringify({ o: this.id, ...message }))
  }

  private startBus(l1: L1Tier): Promise<void> {
    return startBus(this.o.store, this.l2.channel, this.id, l1, {
      onStop: (stop) => {
        this.stopBus = stop
      },
      onEvent: (e) => this.emit('invalidate', e),
      onError: (error) => this.emit('error', { error, operation: 'subscribe' }),
      onTags: (tags) => this.l2.forgetTags(tags),
      onResync: () => this.l2.forgetAllTags(),
    })
  }
}
