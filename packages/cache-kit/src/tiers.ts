import { BusLink } from './bus.js'
import type { CacheEntry, SetOptions } from './cache-types.js'
import { parseDuration } from './duration.js'
import { type EncodedEntry, encodeEntry } from './entry-codec.js'
import type { EventHub } from './events.js'
import { L1Tier } from './l1.js'
import { FAILED, type L2Hooks, L2Tier, type Remote, type RemoteRead, SLOW } from './l2.js'
import type { ResolvedOptions } from './options.js'
import { type CacheStats, cacheStats, type TierStats, tierStats } from './stats.js'
import type { LeaseOutcome, LeaseRequest } from './stores/store.js'

const NOTHING = () => {}

/** When an entry was written and when its ttl ends (epoch ms). */
export type Times = { readonly storedAt: number; readonly expiresAt: number }

/** What a read of L2 comes back with (see {@link Tiers.fromL2}). */
export type L2Read = Remote | LeaseOutcome | undefined | typeof FAILED

/** The totals `stats()` reports besides the tiers' own. */
export interface Counters {
  hits: number
  misses: number
  stale: number
  coalesced: number
  loads: number
  oversized: number
  corrupt: number
}

/**
 * A cache's two tiers and how a value moves through them: reads from L1 (checked against the
 * store's tag versions under strict consistency) and L2 (filling L1), writes to both, and the
 * counting and `hit`/`miss` events of every read, and the bus that tells other processes. `CacheManager` and `getOrSet`'s single-flight
 * both read and write through it.
 */
export class Tiers {
  readonly l2: L2Tier
  readonly l1: L1Tier | undefined
  /** Carries invalidations (and writes) to other processes' L1. */
  readonly bus: BusLink
  readonly counters: Counters = {
    hits: 0,
    misses: 0,
    stale: 0,
    coalesced: 0,
    loads: 0,
    oversized: 0,
    corrupt: 0,
  }
  private readonly l1Stats = tierStats()
  /** Store writes still in flight behind their callers, by key (see `write`); each settles, never rejects. */
  private readonly writing = new Map<string, Promise<void>>()
  /** Every store write in flight, behind its caller or not; each settles, never rejects. */
  private readonly unsettled = new Set<Promise<void>>()

  constructor(
    private readonly options: ResolvedOptions,
    private readonly events: EventHub,
    hooks: L2Hooks,
  ) {
    this.l2 = new L2Tier(options, hooks)
    this.l1 = options.l1 && new L1Tier(options.l1.maxEntries, options.l1.ttl)
    this.bus = new BusLink(options, this.l2, this.l1, (event, payload) => events.emit(event, payload))
  }

  /** Counts a hit in `tier` and returns the entry as callers see it. */
  hit<T>(tier: 'l1' | 'l2', key: string, value: T, times: Times, now: number): CacheEntry<T> {
    const { storedAt, expiresAt } = times
    const stale = now >= expiresAt
    const t: TierStats = tier === 'l1' ? this.l1Stats : this.l2.stats
    t.hits++
    this.counters.hits++
    if (stale) {
      t.stale++
      this.counters.stale++
    }
    if (this.events.wants('hit')) this.events.emit('hit', { key, tier, stale })
    return { value, stale, storedAt, expiresAt }
  }

  /**
   * L1 under `consistency: 'strict'`: a tagged entry counts only if its tags still have the versions
   * it was stamped with in the store (one round trip); otherwise it is dropped. `FAILED`: the store
   * could not say (fail-open: the caller must not trust L1).
   */
  async fromL1Checked<T>(key: string, failOpen: boolean): Promise<CacheEntry<T> | undefined | typeof FAILED> {
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

  /** An L1 hit, counted; `undefined` (a counted L1 miss) without one. */
  fromL1<T>(key: string, now: number): CacheEntry<T> | undefined {
    if (!this.l1) return undefined
    const e = this.l1.get(key, now)
    if (e) return this.hit('l1', key, e.value as T, e, now)
    this.l1Stats.misses++
    return undefined
  }

  /**
   * `fromL1` then L2 without waiting, where no I/O is needed (L1, an in-process store's decoded
   * entry); `null` when only a read can tell (remote store, first read).
   */
  peek<T>(key: string): CacheEntry<T> | undefined | null {
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

  /**
   * Reads the store, counting a miss and filling L1 on a hit (the caller counts the hit). Resolves
   * the entry, or on a miss `undefined`, `FAILED` (the store failed) or the lease outcome.
   */
  async fromL2(key: string, failOpen: boolean, lease?: LeaseRequest): Promise<L2Read> {
    const near = this.l2.canPeek ? this.l2.peek(key) : SLOW
    if (near !== SLOW) return this.landL2(key, near, lease)
    // This process's own write of the key, still in flight, lands before the read.
    const writing = this.writing.get(key)
    if (writing) await writing
    const since = this.l1?.generation
    return this.landL2(key, await this.l2.read(key, failOpen, lease), lease, since)
  }

  /** Counts a store miss, or fills L1 with a store hit (the caller counts the hit). */
  private landL2(key: string, r: RemoteRead, lease?: LeaseRequest, since?: number): L2Read {
    if (!r || r === FAILED || 'leased' in r) {
      this.l2.stats.misses++
      this.counters.misses++
      if (this.events.wants('miss')) this.events.emit('miss', { key })
      return lease || r === FAILED ? r : undefined
    }
    this.l1?.fill(key, r.envelope, r.value, Date.now(), since)
    return r
  }

  /**
   * Encodes and writes an entry stamped with `versions` of `tags` to L1 (unless an eviction since
   * `l1Since` says the value may predate it) and the store. `undefined` when not written (ttl 0,
   * over the size limit). `lease`: this key's lease token, released with the write where the store
   * can (`stored` resolves `true`); otherwise the caller still holds it. Resolves once the store
   * has the entry, or with `behind` once the write is sent: the write then owns the lease (and
   * releases it once stored), and until it lands, this process's reads of `key` (`fromL2`) and its
   * deletes and sets (`landed`) wait for it, so nothing here sees the store without it or has it
   * overwrite a newer value. A write behind its caller counts itself in flight (`track`); a caller
   * that waits for its write tracks it itself (`set`, `getOrSet`).
   */
  async write(
    key: string,
    value: unknown,
    options: SetOptions & { l1Since?: number | undefined },
    tags: readonly string[],
    versions: readonly string[],
    failOpen: boolean,
    lease?: string,
    behind = false,
  ): Promise<(EncodedEntry & { readonly stored: Promise<boolean> }) | undefined> {
    const o = this.options
    const ttl = parseDuration(options.ttl ?? o.ttl)
    if (ttl <= 0) return undefined
    const grace = parseDuration(options.grace ?? o.grace)
    const now = Date.now()
    const stamps = tags.map((name, i) => ({ name, version: versions[i] ?? '' }))
    const meta = { storedAt: now, expiresAt: now + ttl, graceUntil: now + ttl + grace, tags: stamps }
    const enc = await encodeEntry(value, meta, options.compress, o)
    if (!enc) {
      this.counters.oversized++
      return undefined
    }
    this.l1?.set(key, { ...meta, value, tags, versions }, now, options.l1Since)
    // Other processes drop their L1 copy of the key (the message goes with the write where it can).
    const message = this.bus.encode({ k: [key] })
    const stored = this.l2.write(key, enc.bytes, ttl + grace, tags, failOpen, message, lease)
    if (!behind) {
      await stored
      return { ...enc, stored }
    }
    // Behind its caller, the write owns the lease: released once stored, where the write did not.
    const done =
      lease === undefined ? stored : stored.then((gone) => gone || this.l2.leases.release(key, lease))
    // Settles after any earlier write of the key still in flight, so waiting on it waits for both.
    const earlier = this.writing.get(key)
    const landed = (earlier ? earlier.then(() => done) : done).then(NOTHING, NOTHING)
    this.writing.set(key, landed)
    landed.then(() => {
      if (this.writing.get(key) === landed) this.writing.delete(key)
    })
    this.track(landed)
    return { ...enc, stored }
  }

  /**
   * Counts `write` (a store write, or a call that makes one) in flight until it settles (see
   * {@link landed}); returns it.
   */
  track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(NOTHING, NOTHING)
    this.unsettled.add(settled)
    settled.then(() => this.unsettled.delete(settled))
    return write
  }

  /**
   * Resolves once this process's store writes still in flight have landed or failed: those of
   * `keys` that went on behind their callers, or without `keys`, every one.
   */
  async landed(keys?: readonly string[]): Promise<void> {
    if (!keys) {
      if (this.unsettled.size > 0) await Promise.all([...this.unsettled])
      return
    }
    if (this.writing.size > 0) await Promise.all(keys.map((k) => this.writing.get(k)))
  }

  /** Counters since creation: totals, then per tier. */
  stats(): CacheStats {
    return cacheStats(this.counters, this.l2.stats, this.l2.guard, this.l1 && this.l1Stats)
  }
}
