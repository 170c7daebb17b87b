import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import type { Knex } from 'knex'
import { type Logger, pino } from 'pino'
import type { Config } from './config.js'
import { connectDatabase } from './db/connect.js'
import { connectRedis, type RedisClient } from './redis-client.js'
import type { AppDeps, Cache } from './runtime-types.js'

/** The live resources of a running service: what {@link createApp} needs, and how to close it. */
export interface Runtime {
  readonly db: Knex
  readonly cache: Cache
  readonly redis: RedisClient | undefined
  readonly logger: Logger
  readonly deps: AppDeps
  /** Closes the cache, Redis and the database pool (in that order). */
  close(): Promise<void>
}

/** The service's logger: JSON lines, `authorization` and `cookie` headers redacted. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["idempotency-key"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  }
  return destination ? pino(options, destination) : pino(options)
}

/**
 * Opens the database pool, Redis or a Redis Cluster (when configured) and the cache for `config`.
 * With Redis: cache-kit's strict consistency (a write on one instance is seen by the next read on
 * any other), and (unless `CACHE_L1=off`) an in-process L1 tier whose entries the bus drops.
 */
export async function openRuntime(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<Runtime> {
  const db = connectDatabase(config.database)
  const redis = config.redis ? await connectRedis(config.redis) : undefined
  const cache = new CacheManager({
    store: redis ? redisStore({ client: redis }) : memoryStore(),
    prefix: config.cachePrefix,
    ttl: '5m',
    ...(redis && config.cacheL1 ? { l1: { maxEntries: 10_000 } } : {}),
    // Strict: after a write's invalidation resolved, no instance serves a response computed before it.
    // A short stampede lease: a lease set by a command that timed out while Redis was paused is held
    // by nobody, and every reader of that key waits out `wait` (default 5 s) before loading itself.
    ...(redis
      ? {
          timeout: config.cacheTimeoutMs,
          consistency: 'strict' as const,
          lock: { ttl: '2s', wait: '500ms' },
        }
      : {}),
  })
  let lastWarn = 0
  cache.on('error', (e) => {
    // Fail-open errors are counted by the cache (see /metrics); log at most one line per 5 s.
    if (Date.now() - lastWarn < 5000) return
    lastWarn = Date.now()
    logger.warn({ err: (e as { error?: unknown }).error }, 'cache error (reads fall back to the database)')
  })
  await cache.ready()
  const deps: AppDeps = {
    db,
    cache,
    adminToken: config.adminToken,
    cursorSecret: config.cursorSecret,
    cacheEnabled: config.cacheEnabled,
    logger,
  }
  return {
    db,
    cache,
    redis,
    logger,
    deps,
    async close() {
      await cache.close()
      if (redis) await redis.quit().catch(() => redis?.disconnect())
      await db.destroy()
    },
  }
}
