import { type CacheCodec, zlibCodec } from './codec.js'
import { fflateCodec } from './codec-fflate.js'
import { type Duration, parseDuration } from './duration.js'
import { CacheError } from './errors.js'
import { memoryStore } from './stores/memory.js'
import type { CacheStore } from './stores/store.js'

/** `compressThreshold`'s default: gzip entries of 1 KiB or more (docs/performance.md, gzip threshold). */
export const DEFAULT_COMPRESS_THRESHOLD = 1024

/** Options of `new CacheManager(...)`. Every one has a default; see `docs/cache-kit.md` for the table. */
export interface CacheManagerOptions {
  /** Where entries live. Default `memoryStore()`. */
  store?: CacheStore
  /** Namespace for every key (`<prefix>:<key>`). Default `'cache'`. */
  prefix?: string
  /** Name used in metrics labels. Default: the prefix. */
  name?: string
  /** Default time to live. Default `'5m'`. */
  ttl?: Duration
  /** Default grace period past the ttl during which a stale entry may be served. Default `0`. */
  grace?: Duration
  /** In-process tier in front of a remote store. Off by default. */
  l1?: { maxEntries?: number; ttl?: Duration } | false
  /**
   * Timeout of every store call. Default `'250ms'` (none for `memoryStore`): well above a healthy
   * Redis's slowest replies on a loaded host, small beside a request's budget (see docs).
   */
  timeout?: Duration
  /** `false` makes store errors and timeouts reject with `CacheError`. Default `true` (read = miss, write = no-op). */
  failOpen?: boolean
  /** Gzip entries whose serialised size reaches this many bytes; `false` never compresses. Default `1024`. */
  compressThreshold?: number | false
  /** Gzip implementation: `'zlib'` (default on Node) or `'fflate'` (portable), or your own. */
  codec?: CacheCodec | 'zlib' | 'fflate'
  /** Larger serialised values are not stored (counted in `stats().oversized`). Default 4 MiB. */
  maxValueBytes?: number
  /** Cap on a decompressed entry; past it the entry is a miss. Default: `maxValueBytes`. */
  maxDecompressedBytes?: number
  /**
   * Cross-process single-flight for `getOrSet` through a store lease. Default: on for shared stores
   * that support leases (Redis). `wait` bounds how long a follower polls before loading itself.
   */
  lock?: boolean | { ttl?: Duration; wait?: Duration }
  /** Circuit breaker: opens after `threshold` consecutive failures, probes after `cooldown`. `false` disables. */
  breaker?: { threshold?: number; cooldown?: Duration } | false
  /** Pub/sub invalidation bus between processes' L1 tiers. Default: on when `l1` is set and the store has pub/sub. */
  bus?: boolean
  /**
   * `'strict'`: once `invalidateTags` resolved in any process sharing the store, no read that starts
   * afterwards (in any process) gets a value computed before it: L1 hits check their tag versions
   * in the store (one round trip), and single-flight is keyed by key + tag versions. Default
   * `'eventual'` (L1 copies go when the bus message arrives). See `docs/cache-kit.md`.
   */
  consistency?: Consistency
}

/** How reads relate to tag invalidations made by other processes (see `CacheManagerOptions.consistency`). */
export type Consistency = 'eventual' | 'strict'

/** Options after defaults, in milliseconds. */
export interface ResolvedOptions {
  store: CacheStore
  prefix: string
  name: string
  ttl: number
  grace: number
  l1: { maxEntries: number; ttl: number } | undefined
  timeout: number | undefined
  failOpen: boolean
  compressThreshold: number
  codec: CacheCodec
  maxValueBytes: number
  maxDecompressedBytes: number
  lock: { ttl: number; wait: number } | undefined
  breaker: { threshold: number; cooldownMs: number } | undefined
  bus: boolean
  strict: boolean
}

/** Resolves every default in one place. Throws `CacheError` `invalid_option` on a bad value. */
export function resolveOptions(o: CacheManagerOptions): ResolvedOptions {
  const store = o.store ?? memoryStore()
  const prefix = o.prefix ?? 'cache'
  if (prefix.length === 0) throw new CacheError('invalid_option', 'prefix must not be empty')
  const maxValueBytes = o.maxValueBytes ?? 4 * 1024 * 1024
  const caps = store.capabilities
  const lockOpt = o.lock ?? (caps.shared && caps.locks)
  if (lockOpt && !caps.locks)
    throw new CacheError('invalid_option', `store ${store.name} has no leases for lock`)
  const lockObj = typeof lockOpt === 'object' ? lockOpt : {}
  const l1 = o.l1
    ? { maxEntries: o.l1.maxEntries ?? 10_000, ttl: o.l1.ttl === undefined ? 0 : parseDuration(o.l1.ttl) }
    : undefined
  const bus = o.bus ?? (l1 !== undefined && caps.pubsub)
  if (bus && !caps.pubsub)
    throw new CacheError('invalid_option', `store ${store.name} has no pub/sub for bus`)
  const breaker = o.breaker === false ? undefined : (o.breaker ?? {})
  return {
    store,
    prefix,
    name: o.name ?? prefix,
    ttl: parseDuration(o.ttl ?? '5m'),
    grace: parseDuration(o.grace ?? 0),
    // Without a bus nothing tells this process about other processes' writes: bound L1 staleness.
    l1: l1 && { maxEntries: l1.maxEntries, ttl: l1.ttl || (bus ? Number.POSITIVE_INFINITY : 10_000) },
    timeout: store.name === 'memory' ? undefined : parseDuration(o.timeout ?? '250ms'),
    failOpen: o.failOpen ?? true,
    compressThreshold:
      o.compressThreshold === false
        ? Number.POSITIVE_INFINITY
        : (o.compressThreshold ?? DEFAULT_COMPRESS_THRESHOLD),
    codec:
      o.codec === 'fflate' ? fflateCodec : o.codec === 'zlib' || o.codec === undefined ? zlibCodec : o.codec,
    maxValueBytes,
    maxDecompressedBytes: o.maxDecompressedBytes ?? maxValueBytes,
    lock: lockOpt
      ? { ttl: parseDuration(lockObj.ttl ?? '10s'), wait: parseDuration(lockObj.wait ?? '5s') }
      : undefined,
    breaker: breaker && {
      threshold: breaker.threshold ?? 5,
      cooldownMs: parseDuration(breaker.cooldown ?? '1s'),
    },
    bus,
    strict: validConsistency(o.consistency) === 'strict',
  }
}

function validConsistency(c: unknown): Consistency {
  if (c === undefined || c === 'eventual' || c === 'strict') return c ?? 'eventual'
  throw new CacheError('invalid_option', `consistency must be 'eventual' or 'strict', not ${String(c)}`)
}
