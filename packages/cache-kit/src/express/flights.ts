import type { ResponseCache } from './cache-port.js'
import { InflatedBodies } from './inflated-bodies.js'
import type { ResponseRecord } from './record.js'

/** A response shared with single-flight followers: only what was (or would be) stored. */
export interface SharedResponse {
  readonly record: ResponseRecord
  readonly storedAt: number
  /** A stale entry served because the refresh failed. */
  readonly stale: boolean
}

/**
 * One in-process leader computing a key's response. It stays joinable from the moment the
 * leader starts until its `set` has landed, so a request arriving in between is a HIT too (the leader sends after its set).
 * `undefined` tells followers the leader's response is not shareable: they run the handler.
 */
export class ResponseFlight {
  readonly epoch: number
  /** Where the flight is registered: the key, or under strict consistency key + tag versions. */
  readonly slot: string
  /** The stale entry the leader is refreshing (grace): followers get it at once instead of waiting. */
  stale: SharedResponse | undefined
  done = false
  result: SharedResponse | undefined
  readonly promise: Promise<SharedResponse | undefined>
  private settle!: (value: SharedResponse | undefined) => void

  constructor(epoch: number, slot: string) {
    this.epoch = epoch
    this.slot = slot
    this.promise = new Promise((resolve) => {
      this.settle = resolve
    })
  }

  /** Publishes the outcome once; later calls are ignored. */
  resolve(value: SharedResponse | undefined): void {
    if (this.done) return
    this.done = true
    this.result = value
    this.settle(value)
  }
}

/** Tag invalidations a {@link ResponseFlights} logs (a capture whose handler saw more asks the store). */
const TAG_LOG = 256

/**
 * Per-cache state: the in-flight responses by key, and an invalidation epoch. Every invalidation
 * through this layer or the cache (see {@link flightsOf}) bumps the epoch; a flight from an older epoch is no
 * longer joined, and its response is not stored, because it may predate the write. The tags of
 * this process's recent tag invalidations are logged by epoch, so that a `rows` response can tell
 * without the store that one of its rows was written while its handler ran.
 */
export class ResponseFlights {
  epoch = 0
  /**
   * Moved on only by invalidations a tag snapshot cannot see (keys, patterns). Under strict
   * consistency a response stamped with its tags' versions before its handler ran is made invalid
   * by a tag invalidation already, so only this epoch keeps it from being stored.
   */
  keyEpoch = 0
  readonly byKey = new Map<string, ResponseFlight>()
  /** Bodies recently inflated for clients without gzip. */
  readonly inflated = new InflatedBodies()
  /** The tags of the last {@link TAG_LOG} epochs' tag invalidations, at `epoch % TAG_LOG`. */
  private readonly tagLog: ({ readonly epoch: number; readonly tags: readonly string[] } | undefined)[] =
    new Array(TAG_LOG)

  /** Moves the epoch on for a tag invalidation this process had the store apply, and logs its tags. */
  taggedInvalidation(tags: readonly string[]): void {
    const epoch = ++this.epoch
    this.tagLog[epoch % TAG_LOG] = { epoch, tags }
  }

  /**
   * Whether this process invalidated one of `tags` since the epoch was `epoch`; `undefined` when
   * the log no longer reaches back that far. `false` says nothing of other processes: only the
   * store can tell those.
   */
  invalidatedSince(epoch: number, tags: readonly string[]): boolean | undefined {
    if (this.epoch === epoch) return false
    if (this.epoch - epoch > TAG_LOG) return undefined
    let wanted: Set<string> | undefined
    for (let e = epoch + 1; e <= this.epoch; e++) {
      const logged = this.tagLog[e % TAG_LOG]
      // An epoch moved by something else than a tag invalidation (a write starting, keys, patterns).
      if (logged === undefined || logged.epoch !== e) continue
      wanted ??= new Set(tags)
      for (const t of logged.tags) if (wanted.has(t)) return true
    }
    return false
  }

  /** The flight a request in `slot` (see {@link ResponseFlight.slot}) may follow, if any. */
  joinable(slot: string): ResponseFlight | undefined {
    const f = this.byKey.get(slot)
    return f !== undefined && f.epoch === this.epoch ? f : undefined
  }

  /** Registers a new leader in `slot`. */
  lead(slot: string): ResponseFlight {
    const f = new ResponseFlight(this.epoch, slot)
    this.byKey.set(slot, f)
    return f
  }

  /** Drops the flight once its outcome is stored (or not storable). */
  finish(flight: ResponseFlight | undefined, value: SharedResponse | undefined): void {
    if (flight === undefined) return
    flight.resolve(value)
    if (this.byKey.get(flight.slot) === flight) this.byKey.delete(flight.slot)
  }
}

const states = new WeakMap<object, ResponseFlights>()

/**
 * The flights of one cache instance, created on first use. Every `'invalidate'` the cache emits
 * (its own `invalidateTags` / `invalidatePattern` / `delete`, a handler's explicit call included,
 * or one received on the bus from another process) moves the epoch on.
 */
export function flightsOf(cache: ResponseCache): ResponseFlights {
  let s = states.get(cache)
  if (s === undefined) {
    const flights = new ResponseFlights()
    cache.on('invalidate', (e) => {
      // Only this process's own are logged: one heard on the bus may have reached the store
      // before a snapshot whose reply came first.
      if (e.kind === 'tags' && e.tags && e.source === 'local') return flights.taggedInvalidation(e.tags)
      flights.epoch++
      if (e.kind !== 'tags') flights.keyEpoch++
    })
    states.set(cache, flights)
    s = flights
  }
  return s
}
