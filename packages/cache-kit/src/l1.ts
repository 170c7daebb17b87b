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
  /** The keys of the entries carrying each tag, so that `evictTags` costs what it drops. */
  private readonly byTag = new Map<string, Set<string>>()
  /**
   * Moves on with every eviction (invalidations here or heard on the bus). A value read or loaded
   * across one may predate it: `set` with the generation taken before the read leaves it out.
   */
  generation = 0

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.lru = new Lru(maxEntries, undefined, (key, entry) => {
      for (const t of entry.tags) {
        const keys = this.byTag.get(t)
        if (keys?.delete(key) && keys.size === 0) this.byTag.delete(t)
      }
    })
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
    for (const t of entry.tags) {
      const keys = this.byTag.get(t)
      if (keys) keys.add(key)
      else this.byTag.set(t, new Set([key]))
    }
  }

  delete(keys: readonly string[]): number {
    this.generation++
    let n = 0
    for (const k of keys) if (this.lru.delete(k)) n++
    return n
  }

  /** Drops entries carrying any of `tags`, in time proportional to what it drops. */
  evictTags(tags: readonly string[]): number {
    const drop = new Set<string>()
    for (const t of tags) for (const k of this.byTag.get(t) ?? []) drop.add(k)
    return this.delete([...drop])
  }

  clear(): void {
    this.generation++
    this.lru.clear()
    this.byTag.clear()
  }

  /** Drops entries whose key matches. */
  evictMatching(re: GlobMatcher): number {
    return this.delete([...this.lru.keys()].filter((k) => re.test(k)))
  }
}
