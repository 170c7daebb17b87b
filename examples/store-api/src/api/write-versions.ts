import type { Redis } from 'ioredis'

/**
 * Per-company, per-resource write counters shared by every instance (in Redis), used as a
 * generation in the response cache key. A write bumps its counters after it commits and before it
 * answers; every read sent after that answer computes the new generation, so it can never be served
 * an entry (or join a single-flight) of a response computed before the write — on any instance,
 * L1 tier or not — and a slow read that began before the write stores under the old generation,
 * where no later read looks. (In one process, with the memory store, none of this is needed.)
 */
export interface WriteVersions {
  /** The current generation of `key`, or `undefined` when it cannot be read (then do not cache). */
  read(key: string): Promise<string | undefined>
  /** Moves the generations of `keys` on (after a write committed). */
  bump(keys: readonly string[]): Promise<void>
}

/** {@link WriteVersions} on Redis: `INCR` to bump, `GET` to read. */
export function redisWriteVersions(client: Redis, prefix: string): WriteVersions {
  const k = (key: string) => `${prefix}#wv:${key}`
  return {
    async read(key) {
      try {
        return (await client.get(k(key))) ?? '0'
      } catch {
        return undefined
      }
    },
    async bump(keys) {
      const pipeline = client.pipeline()
      for (const key of keys) pipeline.incr(k(key))
      await pipeline.exec().catch(() => undefined)
    },
  }
}
