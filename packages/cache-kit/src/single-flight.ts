import { randomUUID } from 'node:crypto'
import type { GetOrSetOptions, Loader } from './cache-types.js'
import type { PayloadKind } from './envelope.js'
import { CacheError } from './errors.js'
import type { EventHub } from './events.js'
import { FAILED, type Remote } from './l2.js'
import type { ResolvedOptions } from './options.js'
import { deserialize, serialize } from './payload.js'
import type { LeaseRequest } from './stores/store.js'
import type { Tiers } from './tiers.js'

/**
 * What a load hands to the callers that waited on it; `copy` is their shared copy of the value,
 * decoded from `plain` by the first of them.
 */
export type LoadOutcome = {
  value: unknown
  share: boolean
  kind?: PayloadKind
  plain?: Uint8Array
  copy?: { value: unknown }
}

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
 * `getOrSet`'s machinery: in-process single-flight (keyed by key, or by key + tag versions under
 * strict consistency), the cross-process lease and its bounded wait, grace refreshes in the
 * background, and the degraded load when the store fails.
 */
export class SingleFlight {
  private readonly flights = new Map<string, Promise<LoadOutcome>>()
  private readonly refreshing = new Set<string>()
  private readonly background = new Set<Promise<unknown>>()
  private closed = false

  constructor(
    private readonly options: ResolvedOptions,
    private readonly tiers: Tiers,
    private readonly events: EventHub,
  ) {}

  /** Starts no more background refreshes; resolves once every one and every lease release has settled. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.allSettled([...this.background])
  }

  /**
   * The cached value, or the loader's (see `CacheManager.getOrSet`).
   */
  async run<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    if (this.options.strict)
      return this.getOrSetStrict(key, loader as Loader<unknown>, options as GetOrSetOptions<never>)
    const near = this.tiers.fromL1<T>(key, Date.now())
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
    const failOpen = options.failOpen ?? this.options.failOpen
    const near = await this.tiers.fromL1Checked<T>(key, failOpen)
    if (near === FAILED) return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    if (near) {
      if (near.stale) this.refresh(key, loader, options)
      return near.value
    }
    const lease = this.leaseFor(key, options)
    const r = await this.tiers.fromL2(key, failOpen, lease)
    if (r === FAILED) return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    if (r && 'envelope' in r) {
      const e = this.tiers.hit('l2', key, r.value as T, r.envelope, Date.now())
      if (e.stale) this.refresh(key, loader, options)
      return e.value
    }
    const leased = lease && r?.leased ? lease.token : undefined
    // Where the read stamped the tags on its miss, their versions came with it.
    const versions = r?.versions ?? (await this.tiers.l2.stampTags(options.tags ?? [], failOpen))
    if (!versions) {
      if (leased) this.track(this.tiers.l2.leases.release(key, leased))
      return (await this.lead(key, loader, { ...options, degraded: true })).value as T
    }
    // A flight that stamped other versions began before an invalidation: never join it.
    const slot = `${key}\u0000${versions.join('\u0000')}`
    const running = this.flights.get(slot)
    if (running) {
      if (leased) this.track(this.tiers.l2.leases.release(key, leased))
      return this.follow(running, key, loader, options) as Promise<T>
    }
    const lead: LeadOptions = { ...options, versions }
    if (lease) lead.lease = leased ? { token: leased } : 'busy'
    return (await this.fly(slot, this.lead(key, loader, lead))).value as T
  }

  /** Registers `p` as the flight in `slot` until it settles. */
  private fly(slot: string, p: Promise<LoadOutcome>): Promise<LoadOutcome> {
    this.flights.set(slot, p)
    const done = () => {
      if (this.flights.get(slot) === p) this.flights.delete(slot)
    }
    p.then(done, done)
    return p
  }

  /** A caller that found a flight running: the followers' copy of its value, or its own load when not shareable. */
  private async follow(running: Promise<LoadOutcome>, key: string, loader: Loader<unknown>, options: object) {
    this.tiers.counters.coalesced++
    const f = await running
    // Waiting callers share one copy, decoded once (49 parses of the same bytes were most of what
    // a coalesced miss cost); never the leader's object or buffer, which the leader may change.
    if (f.share) {
      if (!f.kind || !f.plain) return f.value
      f.copy ??= { value: deserialize(f.kind, f.plain, true) }
      return f.copy.value
    }
    // The leader's value must not be shared: this caller loads its own.
    return (await this.lead(key, loader, { ...options, lock: false } as LeadOptions)).value
  }

  /**
   * The lease a `getOrSet` read takes on a miss, where the store can do it in the read itself, and
   * the tags it then stamps for the load, where the store can do that too.
   */
  private leaseFor(key: string, options: GetOrSetOptions<never>): LeaseRequest | undefined {
    const lock = this.options.lock
    if (!lock || options.lock === false || !this.options.store.capabilities.leaseOnMiss) return undefined
    const request = { key: this.tiers.l2.leases.key(key), token: randomUUID(), ttlMs: lock.ttl }
    const stamp = this.tiers.l2.stampOnMiss(options.tags)
    return stamp ? { ...request, stamp } : request
  }

  private async readOrLoad(
    key: string,
    loader: Loader<unknown>,
    options: GetOrSetOptions<never>,
  ): Promise<LoadOutcome> {
    // On a single node the read also tries to take the lease, so a miss costs no extra round trip.
    const lease = this.leaseFor(key, options)
    const r = await this.tiers.fromL2(key, options.failOpen ?? this.options.failOpen, lease)
    // The store just failed: load without lease or write, so the call costs one timeout at most.
    if (r === FAILED) return this.lead(key, loader, { ...options, degraded: true })
    if (r && 'envelope' in r) {
      const e = this.tiers.hit('l2', key, r.value, r.envelope, Date.now())
      if (e.stale) this.refresh(key, loader, options)
      return { value: r.value, share: true, kind: r.envelope.kind, plain: r.plain }
    }
    if (!r || !lease) return this.lead(key, loader, options)
    const lead: LeadOptions = { ...options, lease: r.leased ? { token: lease.token } : 'busy' }
    // Where the read stamped the tags on its miss, the load uses those versions.
    if (r.versions) lead.versions = r.versions
    return this.lead(key, loader, lead)
  }

  /** Runs the loader (holding the lease when locking), stores its value and says whether it may be shared. */
  private async lead(key: string, loader: Loader<unknown>, options: LeadOptions): Promise<LoadOutcome> {
    if (options.degraded) return this.loadUncached(loader, options)
    const failOpen = options.failOpen ?? this.options.failOpen
    const lock = options.lock ?? this.options.lock !== undefined
    let token: string | undefined
    let released = false
    if (typeof options.lease === 'object') token = options.lease.token
    else if (lock && this.options.lock && this.options.store.acquire) {
      const got = await this.waitForLease(key, options.lease === 'busy')
      if ('entry' in got)
        return { value: got.entry.value, share: true, kind: got.entry.envelope.kind, plain: got.entry.plain }
      token = got.token
    }
    try {
      const tags = options.tags ?? []
      // Versions are read before the loader runs: an invalidation during the load then makes the
      // stored entry invalid instead of letting it carry data older than the invalidation.
      // An invalidation heard while loading keeps the value out of L1 (it may predate it).
      const l1Since = this.tiers.l1?.generation
      const versions = options.versions ?? (await this.tiers.l2.stampTags(tags, failOpen))
      this.tiers.counters.loads++
      const value = await loader()
      const share = value === undefined || (options.cacheIf ? options.cacheIf(value as never) : true)
      if (!share || value === undefined || !versions) return { value, share }
      // A shared store's write goes on behind the callers where its failure would not reach them
      // anyway (fail-open): they are answered a round trip sooner, and this process's own reads,
      // sets and deletes of the key wait for it (see `Tiers.write`).
      const behind = failOpen && this.options.store.capabilities.shared
      const opts = { ...options, l1Since }
      const writing = this.tiers.write(key, value, opts, tags, versions, failOpen, token, behind)
      // A write the callers wait for counts as in flight here; one behind them, in `write`.
      const w = await (behind ? writing : this.tiers.track(writing))
      if (!w) return { value, share }
      // Behind its callers, the write releases the lease once stored.
      if (behind) token = undefined
      else released = await w.stored
      return { value, share, kind: w.kind, plain: w.plain }
    } finally {
      // The entry is written (and the lease went with it where the store could); callers need not
      // wait for the lease to go.
      if (token && !released) this.track(this.tiers.l2.leases.release(key, token))
    }
  }

  private async loadUncached(loader: Loader<unknown>, options: LeadOptions): Promise<LoadOutcome> {
    this.tiers.counters.loads++
    const value = await loader()
    const share = value === undefined || (options.cacheIf ? options.cacheIf(value as never) : true)
    if (!share || value === undefined) return { value, share }
    const { kind, bytes } = serialize(value)
    return { value, share, kind, plain: bytes }
  }

  /** Takes the cross-process lease, or waits (bounded) for its holder's entry to appear. */
  private async waitForLease(key: string, busy: boolean): Promise<{ token?: string } | { entry: Remote }> {
    const lock = this.options.lock!
    const token = randomUUID()
    const deadline = Date.now() + lock.wait
    let pause = 5
    for (let first = true; ; first = false) {
      if (!(first && busy)) {
        const got = await this.tiers.l2.leases.acquire(key, token, lock.ttl)
        if (got === undefined) return {}
        if (got) {
          // The previous holder may have written the entry and let go between our read and this
          // acquire: look once more before loading a second time.
          const entry = await this.tiers.l2.read(key, true)
          if (entry && entry !== FAILED && 'envelope' in entry && !entry.stale) {
            this.track(this.tiers.l2.leases.release(key, token))
            return { entry }
          }
          return { token }
        }
      }
      await new Promise((r) => setTimeout(r, pause))
      pause = Math.min(pause * 2, 50)
      const entry = await this.tiers.l2.read(key, true)
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
        this.events.emit('error', { error, operation: 'refresh', key })
      })
      .finally(() => this.refreshing.delete(key))
    this.track(p)
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p)
    p.finally(() => this.background.delete(p))
  }
}
