import type { Cluster, Redis } from 'ioredis'

/**
 * Per-company, per-resource write counters shared by every instance (in Redis), used as a
 * generation in the response cache key. A write bumps its counters after it commits and before it
 * answers; every read sent after that answer computes the new generation, so it can never be served
 * an entry (or join a single-flight) of a response computed before the write — on any instance,
 * L1 tier or not — and a slow read that began before the write stores under the old generation,
 * where no later read looks. (In one process, with the memory store, none of this is needed.)
 */
export interface WriteVersions {
  /** The current generations of `keys`, joined, or `undefined` when they cannot be read (then do not cache). */
  read(keys: readonly string[]): Promise<string | undefined>
  /** Moves the generations of `keys` on (after a write committed). */
  bump(keys: readonly string[]): Promise<void>
}

/** Options of {@link redisWriteVersions}. */
export interface RedisWriteVersionsOptions {
  /** Longest wait for Redis per call, ms (default 50, as the cache's own timeout). */
  readonly timeoutMs?: number
  /** After a failure, skip Redis (reads bypass the cache) for this long, ms (default 1000). */
  readonly cooldownMs?: number
}

/**
 * {@link WriteVersions} on Redis: `INCR` to bump, `GET` to read. Every call is bounded by a
 * timeout; after a failure Redis is left alone for a cool-down, during which reads answer
 * `undefined` (the request bypasses the cache) — a paused Redis never holds a request.
 */
export function redisWriteVersions(
  client: Redis | Cluster,
  prefix: string,
  options: RedisWriteVersionsOptions = {},
): WriteVersions {
  const timeoutMs = options.timeoutMs ?? 50
  const cooldownMs = options.cooldownMs ?? 1000
  let downUntil = 0
  const k = (key: string) => `${prefix}#wv:${key}`
  /** Runs `run` with the timeout; reads skip Redis during the cool-down, bumps always try. */
  async function bounded<T>(run: () => Promise<T>, skipWhenDown: boolean): Promise<T | undefined> {
    if (skipWhenDown && Date.now() < downUntil) return undefined
    const work = run()
    // A rejection arriving after the timeout won must not go unhandled (that would end the process).
    work.catch(() => undefined)
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('write generation: Redis timeout')), timeoutMs)
        }),
      ])
    } catch {
      downUntil = Date.now() + cooldownMs
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
  return {
    async read(keys) {
      // One GET each, in parallel: on a Redis Cluster an MGET across slots is refused.
      const values = await bounded(() => Promise.all(keys.map((key) => client.get(k(key)))), true)
      return values === undefined ? undefined : values.map((v) => v ?? '0').join('.')
    },
    async bump(keys) {
      // One INCR each, not a pipeline: on a Redis Cluster the keys live in different slots.
      await bounded(() => Promise.all(keys.map((key) => client.incr(k(key)))), false)
    },
  }
}
