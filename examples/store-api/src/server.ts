import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { createApp } from './app.js'
import type { Config } from './config.js'
import { migrate } from './db/migrate.js'
import { seed } from './db/seed.js'
import { createApiKey, hashApiKey } from './http/api-keys.js'
import { openRuntime, type Runtime } from './runtime.js'

/** A listening service. */
export interface RunningServer {
  readonly url: string
  readonly server: Server
  readonly runtime: Runtime
  /** Graceful stop: no new connections, in-flight requests finish, then pools close. */
  stop(): Promise<void>
}

/** Demo data of the embedded mode: a few companies, thousands of products. */
const DEMO = { companies: 3, productsPerCompany: 2000 }

async function demoKey(db: Knex, home: string): Promise<string> {
  const file = join(home, 'demo-api-key')
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    if (
      await db('api_keys')
        .where({ key_hash: hashApiKey(key) })
        .whereNull('revoked_at')
        .first('id')
    )
      return key
  }
  const first = (await db('companies').orderBy('id').first('id')) as { id: number } | undefined
  if (!first) throw new Error('no company to make a demo key for')
  const key = await createApiKey(db, Number(first.id), 'demo (embedded mode)')
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  return key
}

/**
 * Starts the service for `config`: migrates, seeds demo data on an empty embedded database,
 * listens, and (unless `handleSignals: false`) stops gracefully on SIGTERM/SIGINT and exits.
 * Prints the URL (and, embedded, a demo API key).
 */
export async function serve(
  config: Config,
  print: (line: string) => void = console.log,
  options: { handleSignals?: boolean } = {},
): Promise<RunningServer> {
  if (config.database.client === 'sqlite' || config.autoSeed) mkdirSync(config.home, { recursive: true })
  const runtime = await openRuntime(config)
  const { db, logger } = runtime
  let key: string | undefined
  try {
    await migrate(db)
    if (config.autoSeed) {
      const { n } = (await db('companies').count({ n: '*' }).first()) as { n: number | string }
      if (Number(n) === 0) {
        print(
          `store-api: seeding demo data (${DEMO.companies} companies × ${DEMO.productsPerCompany} products)…`,
        )
        await seed(db, DEMO)
      }
      key = await demoKey(db, config.home)
    }
  } catch (error) {
    await runtime.close()
    throw error
  }
  const publicUrl = `http://localhost:${config.port}`
  const app = createApp(runtime.deps, {
    publicUrl,
    corsOrigins: config.corsOrigins,
    rateLimit: {
      perMinute: config.rateLimit,
      ...(runtime.redis ? { redis: runtime.redis } : {}),
      prefix: config.cachePrefix,
      timeoutMs: config.cacheTimeoutMs,
      logger,
    },
  })
  // A client that sends its headers or body slowly, or idles on a keep-alive socket, is cut off
  // long before Node's defaults (60 s headers, 300 s request) would; the timeouts are checked every
  // second (Node's default: every 30 s, which would stretch each of them by up to that much).
  const server = createServer(
    {
      headersTimeout: config.timeouts.headersMs,
      requestTimeout: config.timeouts.requestMs,
      keepAliveTimeout: config.timeouts.keepAliveMs,
      connectionsCheckingInterval: 1000,
    },
    app,
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const url = `http://localhost:${port}`
  print(`store-api listening on ${url}  (docs: ${url}/docs)`)
  print(
    `database: ${config.database.client}${config.database.client === 'sqlite' ? ` ${config.database.filename}` : ''}; cache: ${config.redis ? `${config.redis.kind === 'cluster' ? 'redis cluster' : 'redis'}${config.cacheL1 ? ' + L1' : ''}` : 'memory'}`,
  )
  if (key) print(`demo API key: ${key}\n  try: curl -H 'Authorization: Bearer ${key}' ${url}/api/products`)
  if (config.adminTokenGenerated)
    print(`admin token (this run only; set ADMIN_TOKEN to fix it): ${config.adminToken}`)

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: finishing in-flight requests')
      app.locals.draining = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // Keep-alive clients that never send again must not hold the shutdown forever.
        setTimeout(() => server.closeAllConnections(), 10_000).unref()
      })
      await runtime.close()
    })()
    return stopping
  }
  const onSignal = () => {
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  }
  return { url, server, runtime, stop }
}
