import { randomUUID } from 'node:crypto'
import { startBus } from './bus.js'
import type { CacheCodec } from './codec.js'
import type { Duration } from './duration.js'
import { parseDuration } from './duration.js'
import { type DecodedEntry, decodeEntry, type EncodedEntry, encodeEntry } from './entry-codec.js'
import type { PayloadKind } from './envelope.js'
import { CacheError } from './errors.js'
import { CacheEmitter } from './events.js'
import { escapeGlob, globToRegExp } from './glob.js'
import { L1Tier } from './l1.js'
import { type CacheManagerOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { deserialize, serialize } from './payload.js'
import { RemoteGuard } from './remote.js'
import { type CacheStats, type TierStats, tierStats } from './stats.js'
import type { CacheStore, LeaseOutcome, LeaseRequest } from './stores/store.js'

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

type Flight = { value: unknown; share: boolean; kind?: PayloadKind; plain?: Uint8Array }
type Remote = DecodedEntry & { stale: boolean }
/** `lease`: already taken by the read (`token`), or held by another process (`'busy'`). */
type LeadOptions = GetOrSetOptions<never> & { degraded?: boolean; lease?: { token: string } | 'busy' }

/** Fallback marking a store call that failed (fail-open), as opposed to a plain miss. */
const FAILED: unique symbol = Symbol('failed')

/**
 * The object cache: a store (memory, Redis, Keyv), an optional in-process L1 in front of it, tags,
 * single-flight `getOrSet`, grace, timeouts, a circuit breaker and fail-open. See `docs/cache-kit.md`.
 */
export class CacheManager extends CacheEmitter {
  /** The gzip codec entries are written with (`'zlib'` or `'fflate'`). */
  readonly codec: CacheCodec
  /** Name used in metrics labels (default: the prefix). */
  readonly name: string
  private readonly o: ResolvedOptions
  private readonly store: CacheStore
  private readonly guard: RemoteGuard
  private readonly l1: L1Tier | undefined
  private readonly flights = new Map<string, Promise<Flight>>()
  private readonly refreshing = new Set<string>()
  private readonly background = new Set<Promise<unknown>>()
  private readonly l1Stats = tierStats()
  private readonly l2Stats = tierStats()
  private readonly c = { hits: 0, misses: 0, stale: 0, coalesced: 0, loads: 0, oversized: 0, corrupt: 0 }
  private readonly id = randomUUID()
  private readonly keyPrefix: string
  private readonly tagPrefix: string
  private readonly busReady: Promise<void>
  private stopBus: (() => Promise<void>) | undefined
  private closed = false

  constructor(options: CacheManagerOptions = {}) {
    super()
    this.o = resolveOptions(options)
    this.store = this.o.store
    this.codec = this.o.codec
    this.name = this.o.name
    this.keyPrefix = `${this.o.prefix}:`
    this.tagPrefix = `${this.o.prefix}#t:`
    this.guard = new RemoteGuard(this.o.timeout, this.o.breaker, this.l2Stats, (error, operation, key) =>
      this.emit('error', key === undefined ? { error, operation } : { error, operation, key }),
    )
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
    const near = this.fromL1<T>(key, Date.now())
    if (near) return near
    const r = await this.fromL2(key, options.failOpen ?? this.o.failOpen)
    if (r === FAILED || !r || 'leased' in r) return undefined
    return this.hit('l2', key, r.value as T, r.envelope, Date.now())
  }

  private fromL1<T>(key: string, now: number): CacheEntry<T> | undefined {
    if (!this.l1) return undefined
    const e = this.l1.get(key, now)
    if (e) return this.hit('l1', key, e.value as T, e, now)
    this.l1Stats.misses++
    return undefined
  }

  /** Reads the store, counting a miss and filling L1 on a hit (the caller counts the hit). */
  private async fromL2(
    key: string,
    failOpen: boolean,
    lease?: LeaseRequest,
  ): Promise<Remote | LeaseOutcome | undefined | typeof FAILED> {
    const r = await this.readRemote(key, failOpen, lease)
    if (!r || r === FAILED || 'leased' in r) {
      this.l2Stats.misses++
      this.c.misses++
      if (this.wants('miss')) this.emit('miss', { key })
      return r
    }
    const env = r.envelope
    this.l1?.set(key, { ...env, value: r.value, tags: env.tags.map((t) => t.name) }, Date.now())
    return r
  }

  /** Stores `value` (JSON-serialisable, or a `Uint8Array` kept as raw bytes). `undefined` is not stored. */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    if (value === undefined) return
    const failOpen = options.failOpen ?? this.o.failOpen
    const tags = options.tags ?? []
    const versions = await this.tagVersions(tags, failOpen)
    if (versions) await this.write(key, value, options, tags, versions, failOpen)
  }

  /**
   * The cached value, or the loader's (stored, then returned). Concurrent callers for one key share
   * one loader run per process (and across processes with `lock`); a loader error rejects them all.
   * A stale entry within grace is returned at once while one background refresh runs.
   */
  async getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    const near = this.fromL1<T>(key, Date.now())
    if (near) {
      if (near.stale) this.refresh(key, loader, options)
      return near.value
    }
    // Callers arriving while another one reads or loads this key wait for it: one store read and
    // at most one loader run per key and process, however many callers.
    const running = this.flights.get(key)
    if (running) {
      this.c.coalesced++
      const f = await running
      return f.share ? this.copy<T>(f) : this.loadOwn(key, loader, options)
    }
    const p = this.readOrLoad(key, loader as Loader<unknown>, options as GetOrSetOptions<never>)
    this.flights.set(key, p)
    const done = () => {
      if (this.flights.get(key) === p) this.flights.delete(key)
    }
    p.then(done, done)
    return (await p).value as T
  }

  private async readOrLoad(
    key: string,
    loader: Loader<unknown>,
    options: GetOrSetOptions<never>,
  ): Promise<Flight> {
    // On a single node the read also tries to take the lease, so a miss costs no extra round trip.
    const lease =
      this.o.lock && options.lock !== false && this.store.capabilities.leaseOnMiss
        ? { key: this.lockKey(key), token: randomUUID(), ttlMs: this.o.lock.ttl }
        : undefined
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

  /** Deletes keys (here, in the store and, with a bus, in other processes' L1). Resolves how many existed. */
  async delete(key: string, ...more: string[]): Promise<number> {
    const keys = [key, ...more]
    this.l1?.delete(keys)
    const n = await this.guard.call(
      'delete',
      key,
      () => this.store.delete(keys.map((k) => this.keyPrefix + k)),
      this.o.failOpen,
      0,
    )
    this.l2Stats.deletes += n
    this.publish({ k: keys })
    this.emit('invalidate', { kind: 'keys', keys, count: n, source: 'local' })
    return n
  }

  /**
   * Makes every entry carrying one of `tags` invalid, in O(1) per tag (a version bump, checked on
   * read). Resolves how many entries were written under those tags since their last invalidation
   * (an upper bound: overwritten or expired entries still count).
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0
    this.l1?.evictTags(tags)
    const n = await this.guard.call(
      'invalidateTags',
      undefined,
      () =>
        this.store.invalidateTags(
          tags.map((t) => this.tagPrefix + t),
          tags.map((t) => this.counterKey(t)),
        ),
      this.o.failOpen,
      0,
    )
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
    const list = this.store.keys?.bind(this.store)
    if (!list) throw new CacheError('unsupported', `store ${this.store.name} cannot list keys`)
    this.l1?.evictMatching(globToRegExp(glob))
    const it = list(escapeGlob(this.keyPrefix) + glob)[Symbol.asyncIterator]()
    const slow = Math.max(this.o.timeout ?? 0, 1000)
    let n = 0
    for (;;) {
      const step = await this.guard.call('scan', undefined, () => it.next(), this.o.failOpen, undefined, slow)
      if (!step || step.done) break
      const batch = step.value
      n += await this.guard.call(
        'delete',
        undefined,
        () => this.store.delete(batch),
        this.o.failOpen,
        0,
        slow,
      )
    }
    this.l2Stats.deletes += n
    this.publish({ p: glob })
    this.emit('invalidate', { kind: 'pattern', pattern: glob, count: n, source: 'local' })
    return n
  }

  /** Counters since creation: totals, then per tier. */
  stats(): CacheStats {
    const { hits, misses } = this.c
    const out: CacheStats = {
      ...this.c,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      sets: this.l2Stats.sets,
      deletes: this.l2Stats.deletes,
      errors: this.l2Stats.errors,
      timeouts: this.l2Stats.timeouts,
      circuitRejections: this.guard.rejections,
      circuit: this.guard.breaker?.state ?? 'closed',
      l2: { ...this.l2Stats },
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
    await this.store.close?.()
  }

  private hit<T>(
    tier: 'l1' | 'l2',
    key: string,
    value: T,
    { storedAt, expiresAt }: { storedAt: number; expiresAt: number },
    now: number,
  ): CacheEntry<T> {
    const stale = now >= expiresAt
    const t: TierStats = tier === 'l1' ? this.l1Stats : this.l2Stats
    t.hits++
    this.c.hits++
    if (stale) {
      t.stale++
      this.c.stale++
    }
    if (this.wants('hit')) this.emit('hit', { key, tier, stale })
    return { value, stale, storedAt, expiresAt }
  }

  private async readRemote(
    key: string,
    failOpen: boolean,
    lease?: LeaseRequest,
  ): Promise<Remote | LeaseOutcome | undefined | typeof FAILED> {
    const full = this.keyPrefix + key
    const store = this.store
    let bytes: Uint8Array | undefined
    let versions: readonly string[] | undefined
    if (store.getWithTagVersions) {
      const r = await this.guard.call(
        'get',
        key,
        () => store.getWithTagVersions!(full, this.tagPrefix, lease),
        failOpen,
        FAILED,
      )
      if (r === FAILED) return FAILED
      if (r && 'leased' in r) return r
      bytes = r?.bytes
      versions = r?.versions
    } else {
      const r = await this.guard.call('get', key, () => store.get(full), failOpen, FAILED)
      if (r === FAILED) return FAILED
      bytes = r
    }
    if (!bytes) return undefined
    let d: DecodedEntry
    try {
      d = await decodeEntry(bytes, this.o)
    } catch (err) {
      this.c.corrupt++
      const error = err instanceof CacheError ? err : new CacheError('corrupt_entry', String(err))
      this.emit('error', { error, operation: 'decode', key })
      await this.guard.call('delete', key, () => store.delete([full]), true, 0)
      return undefined
    }
    const env = d.envelope
    const now = Date.now()
    if (now >= env.graceUntil) return undefined
    if (env.tags.length) {
      versions ??= await this.tagVersions(
        env.tags.map((t) => t.name),
        failOpen,
      )
      if (!versions) return FAILED
      for (let i = 0; i < env.tags.length; i++) if (versions[i] !== env.tags[i]?.version) return undefined
    }
    return { ...d, stale: now >= env.expiresAt }
  }

  private tagVersions(tags: readonly string[], failOpen: boolean): Promise<readonly string[] | undefined> {
    if (tags.length === 0) return Promise.resolve([])
    return this.guard.call(
      'tagVersions',
      undefined,
      () => this.store.tagVersions(tags.map((t) => this.tagPrefix + t)),
      failOpen,
      undefined,
    )
  }

  private counterKey(tag: string): string {
    return `${this.o.prefix}#n:${tag}`
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
      tags: tags.map((name, i) => ({ name, version: versions[i] ?? '0' })),
    }
    const enc = await encodeEntry(value, meta, options.compress, this.o)
    if (!enc) {
      this.c.oversized++
      return undefined
    }
    this.l1?.set(key, { ...meta, value, tags }, now)
    await this.guard.call(
      'set',
      key,
      () =>
        this.store.set(
          this.keyPrefix + key,
          enc.bytes,
          ttl + grace,
          tags.map((t) => this.counterKey(t)),
        ),
      failOpen,
      undefined,
    )
    this.l2Stats.sets++
    this.publish({ k: [key] })
    return enc
  }

  private async lead(key: string, loader: Loader<unknown>, options: LeadOptions): Promise<Flight> {
    if (options.degraded) return this.loadUncached(loader, options)
    const failOpen = options.failOpen ?? this.o.failOpen
    const lock = options.lock ?? this.o.lock !== undefined
    let token: string | undefined
    if (typeof options.lease === 'object') token = options.lease.token
    else if (lock && this.o.lock && this.store.acquire) {
      const got = await this.waitForLease(key, options.lease === 'busy')
      if ('entry' in got)
        return { value: got.entry.value, share: true, kind: got.entry.envelope.kind, plain: got.entry.plain }
      token = got.token
    }
    try {
      const tags = options.tags ?? []
      // Versions are read before the loader runs: an invalidation during the load then makes the
      // stored entry invalid instead of letting it carry data older than the invalidation.
      const versions = await this.tagVersions(tags, failOpen)
      this.c.loads++
      const value = await loader()
      const share = value === undefined || (options.cacheIf ? options.cacheIf(value as never) : true)
      if (!share || value === undefined || !versions) return { value, share }
      const enc = await this.write(key, value, options, tags, versions, failOpen)
      return enc ? { value, share, kind: enc.kind, plain: enc.plain } : { value, share }
    } finally {
      // The entry is written; callers need not wait for the lease to go.
      if (token) {
        const t = token
        this.track(this.guard.call('release', key, () => this.store.release!(this.lockKey(key), t), true, 0))
      }
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

  private lockKey(key: string): string {
    return `${this.o.prefix}#l:${key}`
  }

  /** Takes the cross-process lease, or waits (bounded) for its holder's entry to appear. */
  private async waitForLease(key: string, busy: boolean): Promise<{ token?: string } | { entry: Remote }> {
    const lock = this.o.lock!
    const token = randomUUID()
    const deadline = Date.now() + lock.wait
    let pause = 5
    for (let first = true; ; first = false) {
      if (!(first && busy)) {
        const got = await this.guard.call(
          'lock',
          key,
          () => this.store.acquire!(this.lockKey(key), token, lock.ttl),
          true,
          undefined,
        )
        if (got === undefined) return {}
        if (got) return { token }
      }
      await new Promise((r) => setTimeout(r, pause))
      pause = Math.min(pause * 2, 50)
      const entry = await this.readRemote(key, true)
      if (entry === FAILED) return {}
      if (entry && 'envelope' in entry && !entry.stale) return { entry }
      if (Date.now() >= deadline) return {}
    }
  }

  private copy<T>(f: Flight): T {
    return (f.kind && f.plain ? deserialize(f.kind, f.plain) : f.value) as T
  }

  /** A follower whose leader's value must not be shared runs its own loader. */
  private async loadOwn<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T>): Promise<T> {
    const f = await this.lead(key, loader, { ...options, lock: false } as GetOrSetOptions<never>)
    return f.value as T
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
    if (!this.o.bus || !this.store.publish) return
    const text = JSON.stringify({ o: this.id, ...message })
    void this.guard.call(
      'publish',
      undefined,
      () => this.store.publish!(this.busChannel(), text),
      true,
      undefined,
    )
  }

  private busChannel(): string {
    return `${this.o.prefix}#bus`
  }

  private startBus(l1: L1Tier): Promise<void> {
    return startBus(this.store, this.busChannel(), this.id, l1, {
      onStop: (stop) => {
        this.stopBus = stop
      },
      onEvent: (e) => this.emit('invalidate', e),
      onError: (error) => this.emit('error', { error, operation: 'subscribe' }),
    })
  }
}
