/** Counters of one tier. */
export interface TierStats {
  hits: number
  misses: number
  stale: number
  sets: number
  deletes: number
  errors: number
  timeouts: number
}

/** What `cache.stats()` returns: totals, then per tier (`l1` only when configured). */
export interface CacheStats {
  /** Reads answered by some tier (fresh or stale). */
  hits: number
  /** Reads no tier could answer. */
  misses: number
  /** `hits / (hits + misses)`, 0 before any read. */
  hitRate: number
  /** Hits served stale within grace. */
  stale: number
  sets: number
  deletes: number
  /** Store failures, timeouts and calls refused by the open circuit. */
  errors: number
  timeouts: number
  /** `getOrSet` callers that waited on another caller's loader instead of running their own. */
  coalesced: number
  /** Loader runs (misses and background refreshes). */
  loads: number
  /** Values not stored because they exceed `maxValueBytes`. */
  oversized: number
  /** Entries that read as a miss because they were unreadable (format, bytes, `__proto__`, gzip bomb). */
  corrupt: number
  /** Calls refused while the circuit was open (also in `errors`). */
  circuitRejections: number
  /** Current circuit breaker state. */
  circuit: 'closed' | 'open' | 'half-open'
  l1?: TierStats
  l2: TierStats
}

/** Fresh zeroed tier counters. */
export function tierStats(): TierStats {
  return { hits: 0, misses: 0, stale: 0, sets: 0, deletes: 0, errors: 0, timeouts: 0 }
}

/** Assembles `stats()` from a manager's counters, its store tier and, when configured, its L1. */
export function cacheStats(
  c: Pick<CacheStats, 'hits' | 'misses' | 'stale' | 'coalesced' | 'loads' | 'oversized' | 'corrupt'>,
  l2: TierStats,
  guard: {
    readonly rejections: number
    readonly breaker?: { readonly state: CacheStats['circuit'] } | undefined
  },
  l1: TierStats | undefined,
): CacheStats {
  const { hits, misses } = c
  const out: CacheStats = {
    ...c,
    hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
    sets: l2.sets,
    deletes: l2.deletes,
    errors: l2.errors,
    timeouts: l2.timeouts,
    circuitRejections: guard.rejections,
    circuit: guard.breaker?.state ?? 'closed',
    l2: { ...l2 },
  }
  if (l1) out.l1 = { ...l1 }
  return out
}
