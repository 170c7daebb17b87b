import type { TagStamp } from './envelope.js'
import type { GlobMatcher } from './glob.js'
import { Lru } from './lru.js'

/** A decoded entry kept in process. Values are shared by reference: treat cached values as immutable. */
export interface L1Entry {
  readonly value: unknown
  readonly storedAt: number
  readonly expiresAt: number
  readonly graceUntil: number
  readonly tags: readonly string[]
  /** The version each tag had when the value was computed (same order as `tags`). */
  readonly versions: readonly string[]
}

/** The optional in-process tier in front of a remote store. Keys are the caller's (unprefixed) keys. */
export class L1Tier {
  private readonly lru: Lru<L1Entry>
  /**
   * Moves on with every eviction (invalidations here or heard on the bus). A value read or loaded
   * across one may predate it: `set` with the generation taken before the read leaves it out.
   */
  generation = 0

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.lru = new Lru(maxEntries)
  }

  get(key: string, now: number): L1Entry | undefined {
    return this.lru.get(key, now)
  }

  /** Keeps an entry just read from the store (its envelope's tags and versions, and its value). */
  fill(
    key: string,
    env: { storedAt: number; expiresAt: number; graceUntil: number; tags: readonly TagStamp[] },
    value: unknown,
    now: number,
    since?: number,
  ): void {
    if (since !== undefined && since !== this.generation) return
    const tags = env.tags.map((t) => t.name)
    const versions = env.tags.map((t) => t.version)
    this.set(
      key,
      { storedAt: env.storedAt, expiresAt: env.expiresAt, graceUntil: env.graceUntil, value, tags, versions },
      now,
    )
  }

  set(key: string, entry: L1Entry, now: number, since?: number): void {
    if (since !== undefined && since !== this.generation) return
    this.lru.set(key, entry, Math.min(entry.graceUntil, now + this.ttlMs))
  }

  delete(keys: readonly string[]): number {
    this.generation++
    let n = 0
    for (const k of keys) if (this.lru.delete(k)) n++
    return n
  }

  /** Drops entries carrying any of `tags`; O(L1 size), bounded by `maxEntries`. */
  evictTags(tags: readonly string[]): number {
    const wanted = new Set(tags)
    const drop: string[] = []
    for (const [k, e] of this.lru.entries()) if (e.tags.some((t) => wanted.has(t))) drop.push(k)
    return this.delete(drop)
  }

  clear(): void {
    this.generation++
    this.lru.clear()
  }

  /** Drops entries whose key matches. */
  evictMatching(re: GlobMatcher): number {
    return this.delete([...this.lru.keys()].filter((k) => re.test(k)))
  }
}
