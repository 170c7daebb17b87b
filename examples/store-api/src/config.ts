import { randomBytes } from 'node:crypto'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'

/** Which SQL server the service talks to, as read from `DATABASE_URL`. */
export type DatabaseConfig =
  | { readonly client: 'sqlite'; readonly filename: string; readonly embedded: boolean }
  | { readonly client: 'mysql' | 'postgres'; readonly url: string; readonly schema?: string }

/** Which Redis the cache uses: one server (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`). */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly { readonly host: string; readonly port: number }[] }

/** The validated configuration the service runs with (see {@link loadConfig}). */
export interface Config {
  readonly port: number
  readonly host: string
  readonly database: DatabaseConfig
  /** `undefined`: the in-process memory cache. */
  readonly redis: RedisTarget | undefined
  /** Bearer token of `/api/admin/*`; generated (and printed) when the environment gives none. */
  readonly adminToken: string
  readonly adminTokenGenerated: boolean
  /** HMAC key of pagination cursors; every instance behind one load balancer needs the same. */
  readonly cursorSecret: string
  /** Key prefix of every cache entry (several apps can share one Redis). */
  readonly cachePrefix: string
  /**
   * With Redis: an in-process L1 tier in front of it (default on; `CACHE_L1=off` to go without),
   * kept small by cache-kit's invalidation bus. Reads stay exact across instances either way
   * (cache-kit's `consistency: 'strict'`: an L1 hit checks its tag versions in Redis).
   */
  readonly cacheL1: boolean
  /** Longest wait for Redis per cache call (`CACHE_TIMEOUT_MS`, default 200): past it the read bypasses the cache. */
  readonly cacheTimeoutMs: number
  /** `false` turns response caching off (the perf command's "cache off" run). */
  readonly cacheEnabled: boolean
  readonly logLevel: string
  /** Working directory of the embedded mode (`.hotpath/` under the current directory). */
  readonly home: string
  /** Seed demo data when the database has no company yet (default: SQLite only; `STORE_API_SEED=auto|off`). */
  readonly autoSeed: boolean
  /** Requests per minute per API key (`RATE_LIMIT`, default {@link DEFAULT_RATE_LIMIT}); `0`: no limit. */
  readonly rateLimit: number
  /** Origins allowed by CORS (`CORS_ORIGINS`, comma-separated); empty (the default): no CORS headers. */
  readonly corsOrigins: readonly string[]
  /** Server timeouts in ms (see {@link DEFAULT_TIMEOUTS}). */
  readonly timeouts: ServerTimeouts
}

/** The HTTP server's socket timeouts, in milliseconds. */
export interface ServerTimeouts {
  /** Longest wait for a request's headers (`HEADERS_TIMEOUT_MS`): a slow-headers client is cut off. */
  readonly headersMs: number
  /** Longest wait for a whole request, body included (`REQUEST_TIMEOUT_MS`). */
  readonly requestMs: number
  /** How long an idle keep-alive connection stays open (`KEEP_ALIVE_TIMEOUT_MS`). */
  readonly keepAliveMs: number
}

/** Default server timeouts: far below Node's (60 s headers, 300 s request), so a slow client cannot hold sockets. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 }

/** Default `RATE_LIMIT`: requests per minute per API key (100 a second on average). */
export const DEFAULT_RATE_LIMIT = 6000

/** A configuration value the service cannot start with; `issues` holds one clear line per bad value. */
export class ConfigError extends Error {
  readonly code = 'invalid_config'
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** One `REDIS_CLUSTER_NODES` entry: `host:port`, `redis://` optional, IPv6 hosts in brackets. */
const clusterNode = /^(?:redis:\/\/)?(\[[\da-fA-F:.]+\]|[\w.-]+):(\d{1,5})$/

const milliseconds = z
  .string()
  .regex(/^[1-9]\d{2,6}$/, 'must be a whole number of milliseconds from 100')
  .transform(Number)
  .optional()

const envSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a whole number between 0 and 65535')
    .transform(Number)
    .refine((n) => n <= 65_535, 'must be a whole number between 0 and 65535')
    .optional(),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine(
      (v) => /^(mysql|mariadb|postgres|postgresql):\/\/[^/]/.test(v) || v.startsWith('sqlite:'),
      'must start with mysql://, mariadb://, postgres://, postgresql:// or sqlite:',
    )
    .optional(),
  REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\/./.test(v), 'must start with redis:// or rediss://')
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .refine(
      (v) => v.split(',').every((n) => clusterNode.test(n.trim())),
      'must be a comma-separated list of host:port (e.g. 10.0.0.1:7000,10.0.0.2:7000)',
    )
    .optional(),
  ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .refine((v) => !/\s/.test(v), 'must not contain whitespace (a bearer token cannot carry it)')
    .optional(),
  CURSOR_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CACHE_PREFIX: z
    .string()
    .regex(/^[\w.:-]+$/, 'letters, digits, _ . : - only')
    .optional(),
  STORE_API_CACHE: z.enum(['on', 'off']).optional(),
  CACHE_L1: z.enum(['on', 'off']).optional(),
  CACHE_TIMEOUT_MS: z
    .string()
    .regex(/^[1-9]\d{0,4}$/, 'must be a whole number of milliseconds from 1')
    .transform(Number)
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  HOTPATH_HOME: z.string().min(1).optional(),
  STORE_API_SEED: z.enum(['auto', 'off']).optional(),
  RATE_LIMIT: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number of requests per minute (0 turns the limit off)')
    .transform(Number)
    .optional(),
  CORS_ORIGINS: z
    .string()
    .refine(
      (v) => v.split(',').every((o) => /^https?:\/\/[^/\s,]+$/.test(o.trim())),
      'must be a comma-separated list of origins (https://app.example.com,http://localhost:5173)',
    )
    .optional(),
  HEADERS_TIMEOUT_MS: milliseconds,
  REQUEST_TIMEOUT_MS: milliseconds,
  KEEP_ALIVE_TIMEOUT_MS: milliseconds,
})

/** Values a configuration error must not print (a rejected secret stays out of logs). */
const SECRETS = new Set(['ADMIN_TOKEN', 'CURSOR_SECRET'])

/** A value as an error message may show it: secrets hidden, URL passwords masked. */
function shown(key: string, value: string | undefined): string {
  if (value === undefined) return '""'
  if (SECRETS.has(key)) return `a value of ${value.length} characters`
  return JSON.stringify(value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@'))
}

/**
 * Reads and validates the environment. With nothing set: port 3000, an SQLite file under
 * `./.hotpath/` of `cwd`, the memory cache, a generated admin token. Throws {@link ConfigError}
 * listing every bad value at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const raw = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => {
      const v = env[k]
      return v === undefined || v === '' ? [] : [[k, v]]
    }),
  )
  const parsed = envSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '')
        return `${key}: ${i.message} (got ${shown(key, raw[key])})`
      }),
    )
  }
  const e = parsed.data
  if (e.REDIS_URL !== undefined && e.REDIS_CLUSTER_NODES !== undefined)
    throw new ConfigError(['REDIS_URL and REDIS_CLUSTER_NODES: set one of them, not both'])
  const headersMs = e.HEADERS_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.headersMs
  const requestMs = e.REQUEST_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.requestMs
  if (headersMs > requestMs)
    throw new ConfigError([
      `HEADERS_TIMEOUT_MS (${headersMs}) must not exceed REQUEST_TIMEOUT_MS (${requestMs})`,
    ])
  const home = resolve(cwd, e.HOTPATH_HOME ?? '.hotpath')
  const database = parseDatabaseUrl(e.DATABASE_URL, home, cwd)
  const adminToken = e.ADMIN_TOKEN ?? randomBytes(18).toString('base64url')
  return {
    port: e.PORT ?? 3000,
    host: e.HOST ?? '0.0.0.0',
    database,
    redis: parseRedis(e.REDIS_URL, e.REDIS_CLUSTER_NODES),
    adminToken,
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    cursorSecret: e.CURSOR_SECRET ?? `cursor:${adminToken}`,
    cachePrefix: e.CACHE_PREFIX ?? 'store-api',
    cacheEnabled: e.STORE_API_CACHE !== 'off',
    cacheL1: e.CACHE_L1 !== 'off',
    // 200 ms, not cache-kit's 50: under a saturated event loop a healthy Redis reply is often
    // handled after 50 ms, and every such read would bypass the cache (measured with perf).
    cacheTimeoutMs: e.CACHE_TIMEOUT_MS ?? 200,
    logLevel: e.LOG_LEVEL ?? 'info',
    home,
    autoSeed: e.STORE_API_SEED === 'auto' || (e.STORE_API_SEED === undefined && database.client === 'sqlite'),
    rateLimit: e.RATE_LIMIT ?? DEFAULT_RATE_LIMIT,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()) : [],
    timeouts: {
      headersMs,
      requestMs,
      keepAliveMs: e.KEEP_ALIVE_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.keepAliveMs,
    },
  }
}

function parseRedis(url: string | undefined, clusterNodes: string | undefined): RedisTarget | undefined {
  if (url !== undefined) return { kind: 'single', url }
  if (clusterNodes === undefined) return undefined
  const nodes = clusterNodes.split(',').map((entry) => {
    const [, host = '', port = ''] = clusterNode.exec(entry.trim()) ?? []
    const n = Number(port)
    if (n < 1 || n > 65_535)
      throw new ConfigError([`REDIS_CLUSTER_NODES: port out of range in "${entry.trim()}"`])
    return { host: host.replace(/^\[|\]$/g, ''), port: n }
  })
  return { kind: 'cluster', nodes }
}

function parseDatabaseUrl(url: string | undefined, home: string, cwd: string): DatabaseConfig {
  if (url === undefined) return { client: 'sqlite', filename: join(home, 'store.sqlite'), embedded: true }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '')
    if (path === '')
      throw new ConfigError(['DATABASE_URL: sqlite: needs a file path (e.g. sqlite:./store.sqlite)'])
    return { client: 'sqlite', filename: isAbsolute(path) ? path : resolve(cwd, path), embedded: false }
  }
  const u = new URL(url)
  const client = u.protocol.startsWith('mysql') || u.protocol.startsWith('mariadb') ? 'mysql' : 'postgres'
  if (client === 'mysql' && u.pathname.length <= 1) {
    throw new ConfigError(['DATABASE_URL: a MySQL URL needs a database name (mysql://user@host:3306/store)'])
  }
  const schema = u.searchParams.get('schema') ?? undefined
  return schema ? { client, url, schema } : { client, url }
}
