/** Most invalidations remembered while the store is failing; past it, the oldest stay and new ones are reported. */
export const MAX_PENDING = 10_000

/**
 * Invalidations (tags, keys) that failed while the store was down or refusing. Until they are
 * replayed on the store, entries they cover read as misses in this process; the replay runs
 * on the first successful store call after the failure. Without it, an invalidation lost during
 * an outage would leave stale entries readable once the store is back.
 */
export class PendingInvalidations {
  readonly tags = new Set<string>()
  readonly keys = new Set<string>()

  get size(): number {
    return this.tags.size + this.keys.size
  }

  /** Remembers items; resolves `false` when some had to be dropped (the cap was reached). */
  add(kind: 'tags' | 'keys', items: readonly string[]): boolean {
    const set = this[kind]
    for (const item of items) {
      if (this.size >= MAX_PENDING) return false
      set.add(item)
    }
    return true
  }

  /** Whether an entry under `key` carrying `tags` is covered by a pending invalidation. */
  covers(key: string, tags: readonly { name: string }[]): boolean {
    if (this.size === 0) return false
    if (this.keys.has(key)) return true
    for (const t of tags) if (this.tags.has(t.name)) return true
    return false
  }
}
