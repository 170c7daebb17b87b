import { prometheusMetrics } from '@hotpath/cache-kit/prometheus'
import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Cache } from '../runtime-types.js'

/** The service's Prometheus instruments, registered on one registry. */
export interface ServiceMetrics {
  readonly registry: Registry
  /** Middleware observing each request's duration by route template, method and status. */
  readonly observe: RequestHandler
  /** Counts a response the cache sent without storing it (see `AppDeps.onNotStored`). */
  readonly notStored: (reason: string, route: string) => void
}

interface TarnPool {
  numUsed(): number
  numFree(): number
  numPendingAcquires(): number
  max: number
}

function poolOf(db: Knex): TarnPool | undefined {
  const pool = (db.client as { pool?: unknown }).pool
  return typeof pool === 'object' && pool !== null && 'numUsed' in pool ? (pool as TarnPool) : undefined
}

/**
 * Registers `http_request_duration_seconds{method,route,status}` (route = the template, never the
 * raw URL, so cardinality stays bounded), the database pool gauges, the process's CPU time
 * (`process_cpu_seconds_total`, Prometheus' standard name), the responses the cache declined to
 * store (`store_api_cache_not_stored_total{route,reason}`) and cache-kit's cache metrics.
 */
export function createMetrics(registry: Registry, db: Knex, cache: Cache): ServiceMetrics {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = poolOf(db)
      if (!pool) return
      this.set({ state: 'used' }, pool.numUsed())
      this.set({ state: 'free' }, pool.numFree())
      this.set({ state: 'pending' }, pool.numPendingAcquires())
      this.set({ state: 'max' }, pool.max)
    },
  })
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time of the process, in seconds (what `store-api perf` divides by requests)',
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage()
      this.reset()
      this.inc((user + system) / 1e6)
    },
  })
  const notStored = new Counter({
    name: 'store_api_cache_not_stored_total',
    help: 'Cacheable responses sent but not stored, by route template and reason (see cache-kit onNotStored)',
    labelNames: ['route', 'reason'] as const,
    registers: [registry],
  })
  prometheusMetrics(cache, registry)
  const observe: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint()
    res.on('finish', () => {
      const route = typeof res.locals.route === 'string' ? res.locals.route : 'unmatched'
      duration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        Number(process.hrtime.bigint() - start) / 1e9,
      )
    })
    next()
  }
  return { registry, observe, notStored: (reason, route) => notStored.inc({ route, reason }) }
}
