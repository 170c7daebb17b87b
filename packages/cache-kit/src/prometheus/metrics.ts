import { Counter, register as defaultRegistry, Gauge, type Registry } from 'prom-client'
import type { CacheManager } from '../manager.js'

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Metric name prefix. Default `'hotpath_cache_'`. */
  prefix?: string
}

type Collected = { caches: Set<CacheManager> }
const registries = new WeakMap<Registry, Map<string, Collected>>()

/**
 * Exposes a cache's `stats()` as Prometheus metrics on `registry` (prom-client, an optional peer).
 * Labels are bounded: `cache` (the manager's name), `tier` (`l1`/`l2`), `result`/`kind` — never the
 * key. Several caches share one set of metrics. Values are read from `stats()` at scrape time, so
 * nothing runs per cache operation. Returns a function that stops exporting this cache.
 *
 * Metrics: `<prefix>requests_total{cache,tier,result=hit|stale|miss}`, `<prefix>writes_total{cache,kind=set|delete}`,
 * `<prefix>errors_total{cache,kind=error|timeout|circuit_open}`, `<prefix>loads_total{cache,kind=loaded|coalesced}`,
 * `<prefix>dropped_total{cache,kind=oversized|corrupt}`, `<prefix>hit_ratio{cache}`, `<prefix>circuit_open{cache}`.
 */
export function prometheusMetrics(
  cache: CacheManager,
  registry: Registry = defaultRegistry,
  options: PrometheusMetricsOptions = {},
): () => void {
  const prefix = options.prefix ?? 'hotpath_cache_'
  let byPrefix = registries.get(registry)
  if (!byPrefix) {
    byPrefix = new Map()
    registries.set(registry, byPrefix)
  }
  let collected = byPrefix.get(prefix)
  if (!collected) {
    collected = { caches: new Set() }
    byPrefix.set(prefix, collected)
    define(registry, prefix, collected.caches)
  }
  collected.caches.add(cache)
  const caches = collected.caches
  return () => {
    caches.delete(cache)
  }
}

function define(registry: Registry, p: string, caches: Set<CacheManager>): void {
  const registers = [registry]
  new Counter({
    name: `${p}requests_total`,
    help: 'Cache reads by tier and result (hit, stale hit, miss).',
    labelNames: ['cache', 'tier', 'result'] as const,
    registers,
    collect() {
      this.reset()
      for (const c of caches) {
        const s = c.stats()
        for (const [tier, t] of [['l1', s.l1] as const, ['l2', s.l2] as const]) {
          if (!t) continue
          this.inc({ cache: c.name, tier, result: 'hit' }, t.hits - t.stale)
          this.inc({ cache: c.name, tier, result: 'stale' }, t.stale)
          this.inc({ cache: c.name, tier, result: 'miss' }, t.misses)
        }
      }
    },
  })
  const counter = (name: string, help: string, pick: (c: CacheManager) => Record<string, number>) =>
    new Counter({
      name: `${p}${name}`,
      help,
      labelNames: ['cache', 'kind'] as const,
      registers,
      collect() {
        this.reset()
        for (const c of caches)
          for (const [kind, v] of Object.entries(pick(c))) this.inc({ cache: c.name, kind }, v)
      },
    })
  counter('writes_total', 'Entries written and deleted.', (c) => {
    const s = c.stats()
    return { set: s.sets, delete: s.deletes }
  })
  counter(
    'errors_total',
    'Store failures (fail-open), timeouts and calls refused by the open circuit.',
    (c) => {
      const s = c.stats()
      return {
        error: s.errors - s.timeouts - s.circuitRejections,
        timeout: s.timeouts,
        circuit_open: s.circuitRejections,
      }
    },
  )
  counter('loads_total', 'getOrSet loader runs and callers coalesced onto another caller.', (c) => {
    const s = c.stats()
    return { loaded: s.loads, coalesced: s.coalesced }
  })
  counter('dropped_total', 'Values not stored (oversized) or read as a miss (corrupt).', (c) => {
    const s = c.stats()
    return { oversized: s.oversized, corrupt: s.corrupt }
  })
  const gauge = (name: string, help: string, pick: (c: CacheManager) => number) =>
    new Gauge({
      name: `${p}${name}`,
      help,
      labelNames: ['cache'] as const,
      registers,
      collect() {
        this.reset()
        for (const c of caches) this.set({ cache: c.name }, pick(c))
      },
    })
  gauge('hit_ratio', 'Hits / (hits + misses) since start.', (c) => c.stats().hitRate)
  gauge('circuit_open', '1 while the store circuit breaker is open.', (c) =>
    c.stats().circuit === 'open' ? 1 : 0,
  )
}
