import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { type Dialect, type RedisSpace, useDatabase, useRedis } from '@hotpath/test-services'
import type { Express } from 'express'
import knexFactory, { type Knex } from 'knex'
import { Registry } from 'prom-client'
import { afterAll, beforeAll } from 'vitest'
import { createApp } from '../../src/app.js'
import { migrate } from '../../src/db/migrate.js'
import { createLogger } from '../../src/runtime.js'
import type { AppDeps } from '../../src/runtime-types.js'

/** Admin token of every test app. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789'

/** A running app on real services, for one test file. */
export interface Stack {
  readonly kind: StackKind
  readonly url: string
  /** The Express app under test. */
  readonly app: Express
  readonly db: Knex
  readonly cache: CacheManager
  readonly deps: AppDeps
  /** The Redis space (mysql+redis only) and the cache's key prefix in it. */
  readonly redis: RedisSpace | undefined
  readonly cachePrefix: string
  /** SQL statements run since the last `resetQueries()`. */
  readonly queries: string[]
  resetQueries(): void
  /** JSON log lines written by the app's logger. */
  readonly logLines: string[]
  /**
   * Starts one more app instance on the same database (and Redis, when the stack has it).
   * `bus: false`: its L1 never hears of other instances' invalidations (a bus message that never
   * arrives), so only strict consistency keeps its reads fresh. `cacheEnabled: false`: it serves
   * every read from the database (the truth a cached read is compared with; no request header can
   * make the service bypass its cache). `cursorSecret`: it signs its cursors with another secret.
   */
  another(options?: {
    bus?: boolean
    cacheEnabled?: boolean
    /** Its own cursor secret (default: the stack's). */
    cursorSecret?: string
  }): Promise<{ url: string; cache: CacheManager; close(): Promise<void> }>
}

/** The database + cache pairs the suite runs on. */
export type StackKind = 'sqlite+memory' | 'mysql+redis' | 'postgres+redis'

function withUtc(config: Knex.Config, dialect: Dialect): Knex.Config {
  if (dialect !== 'mysql') return config
  return { ...config, connection: { ...(config.connection as object), timezone: 'Z' } }
}

async function listen(deps: AppDeps): Promise<{ url: string; app: Express; close(): Promise<void> }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const app = createApp(deps, { publicUrl: base })
  server.on('request', app)
  return {
    url: base,
    app,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * Registers hooks that start the app on `kind` for this file: its own database (migrated), its own
 * Redis prefix, a listening server on 127.0.0.1, and a query log fed by knex's `query` event.
 * `l1`: give the Redis-backed cache an in-process tier (kept coherent over the bus), as `CACHE_L1=on`.
 */
export function useStack(kind: StackKind, options: { l1?: boolean } = {}): Stack {
  const dialect: Dialect = kind === 'sqlite+memory' ? 'sqlite' : kind === 'mysql+redis' ? 'mysql' : 'postgres'
  const space = useDatabase(dialect)
  const redis = kind === 'sqlite+memory' ? undefined : useRedis()
  const queries: string[] = []
  const logLines: string[] = []
  const closers: (() => Promise<void>)[] = []
  let db: Knex | undefined
  let cache: CacheManager | undefined
  let deps: AppDeps | undefined
  let url = ''
  let app: Express | undefined

  const cachePrefix = () => (redis ? `${redis.prefix}api` : 'store-api-test')
  /** A cache as `openRuntime` builds it (on Redis: strict consistency). */
  const makeCache = (bus = true): CacheManager => {
    if (!redis) return new CacheManager({ store: memoryStore(), prefix: 'store-api-test' })
    const client = redis.connect({ enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    // Timeouts far above a healthy reply: on a loaded test machine a 50 ms budget makes reads
    // BYPASS now and then, and these tests assert exact HIT/MISS sequences (redis-down tests the timeout).
    const cache = new CacheManager({
      store: redisStore({ client }),
      prefix: cachePrefix(),
      timeout: 1000,
      consistency: 'strict',
      ...(options.l1 ? { l1: { maxEntries: 1000 }, bus } : {}),
    })
    return cache
  }

  beforeAll(async () => {
    db = knexFactory(withUtc(space.config(), dialect))
    db.on('query', (q: { sql: string }) => queries.push(q.sql))
    await migrate(db)
    cache = makeCache()
    await cache.ready()
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean))
        done()
      },
    })
    deps = {
      db,
      cache,
      adminToken: ADMIN_TOKEN,
      cursorSecret: 'test-cursor-secret-0123456789',
      logger: createLogger('info', sink),
      registry: new Registry(),
    }
    const server = await listen(deps)
    url = server.url
    app = server.app
    closers.push(server.close)
  })
  afterAll(async () => {
    for (const close of closers.reverse()) await close()
    await cache?.close()
    await db?.destroy()
  })

  return {
    kind,
    get url() {
      return url
    },
    get app() {
      if (!app) throw new Error('stack not started')
      return app
    },
    get db() {
      if (!db) throw new Error('stack not started')
      return db
    },
    get cache() {
      if (!cache) throw new Error('stack not started')
      return cache
    },
    get deps() {
      if (!deps) throw new Error('stack not started')
      return deps
    },
    redis,
    get cachePrefix() {
      return cachePrefix()
    },
    queries,
    resetQueries: () => {
      queries.length = 0
    },
    logLines,
    async another(o = {}) {
      if (!db) throw new Error('stack not started')
      const otherDb = knexFactory(withUtc(space.config(), dialect))
      const otherCache = makeCache(o.bus)
      await otherCache.ready()
      const server = await listen({
        db: otherDb,
        cache: otherCache,
        adminToken: ADMIN_TOKEN,
        cursorSecret: o.cursorSecret ?? 'test-cursor-secret-0123456789',
        registry: new Registry(),
        ...(o.cacheEnabled === false ? { cacheEnabled: false } : {}),
      })
      const close = async () => {
        await server.close()
        await otherCache.close()
        await otherDb.destroy()
      }
      closers.push(close)
      return { url: server.url, cache: otherCache, close: async () => {} }
    },
  }
}
