import type { RequestHandler } from 'express'
import { type IncrementResponse, rateLimit, type Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { RateLimitedError } from '../errors.js'
import type { RedisClient } from '../redis-client.js'

/** Options of {@link perKeyRateLimit}. */
export interface RateLimitOptions {
  /** Requests per minute per API key; `0` turns the limit off. */
  readonly perMinute: number
  /** Shared counters in Redis (every instance counts together); absent: per-process memory. */
  readonly redis?: RedisClient
  /** Redis key prefix of the counters (`<prefix>:rl:<api key id>`). */
  readonly prefix?: string
  /** Longest wait for Redis per request, in ms; past it (or on any Redis error) the request passes. */
  readonly timeoutMs?: number
  /** Where store failures go (at most one line per 5 s); default: nowhere. */
  readonly logger?: Logger
}

const WINDOW_MS = 60_000

// One fixed window per key: the first hit sets the expiry, later ones only count.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`

type Scripted = RedisClient & {
  hotpathRateLimit(key: string, windowMs: number): Promise<[number, number]>
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limit store: no answer within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * An express-rate-limit store on the service's ioredis client (one server or a Cluster: the one
 * key routes the script): `EVALSHA` of one short script per request, cached by ioredis, so a
 * Redis that restarts or was down at startup needs nothing reloaded by hand.
 */
function redisStore(client: RedisClient, prefix: string, timeoutMs: number): Store {
  const scripted = client as Scripted
  if (typeof scripted.hotpathRateLimit !== 'function')
    client.defineCommand('hotpathRateLimit', { numberOfKeys: 1, lua: INCREMENT })
  const key = (k: string) => `${prefix}${k}`
  return {
    prefix,
    async increment(k): Promise<IncrementResponse> {
      const [hits, ttl] = await withTimeout(scripted.hotpathRateLimit(key(k), WINDOW_MS), timeoutMs)
      return { totalHits: Number(hits), resetTime: new Date(Date.now() + Number(ttl)) }
    },
    async decrement(k) {
      await withTimeout(client.decr(key(k)), timeoutMs)
    },
    async resetKey(k) {
      await withTimeout(client.del(key(k)), timeoutMs)
    },
  }
}

/**
 * Middleware (after API key authentication): at most `perMinute` requests per API key per minute.
 * Over the limit: `429 rate_limited` with `Retry-After` and the IETF `RateLimit` /
 * `RateLimit-Policy` headers (which every answer carries). Counters are keyed by the API key's id,
 * so one company's traffic never counts against another's. When Redis fails or is slow the request
 * passes (the limit fails open, like the cache). `undefined` when `perMinute` is 0.
 */
export function perKeyRateLimit(o: RateLimitOptions): RequestHandler | undefined {
  if (o.perMinute <= 0) return undefined
  let lastLog = 0
  const logError = (err: unknown) => {
    if (Date.now() - lastLog < 5000) return
    lastLog = Date.now()
    o.logger?.warn({ err }, 'rate limit store error (requests pass unlimited)')
  }
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: o.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'per-api-key',
    keyGenerator: (req) => String(req.auth?.apiKeyId ?? 'anonymous'),
    handler: (_req, _res, next) => next(new RateLimitedError()),
    passOnStoreError: true,
    logger: { error: logError, warn: logError },
    // The key is the API key's id, never the client address: the address checks do not apply.
    validate: { ip: false, trustProxy: false, xForwardedForHeader: false, forwardedHeader: false },
    ...(o.redis ? { store: redisStore(o.redis, `${o.prefix ?? 'store-api'}:rl:`, o.timeoutMs ?? 200) } : {}),
  })
}
