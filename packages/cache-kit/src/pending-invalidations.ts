import { CacheError } from './errors.js'
import type { FailureReport } from './remote.js'
import { isRowSetTag, rowBaseOf } from './row-tags.js'

/** Fallback marking a store call that failed (fail-open), as opposed to a plain miss. */
export const FAILED: unique symbol = Symbol('failed')

/** How a replay reaches the store: each call guarded, resolving `FAILED` when it fails. */
export interface ReplayTarget {
  invalidateTags(tags: readonly string[]): Promise<number | typeof FAILED>
  deleteKeys(keys: readonly string[]): Promise<number | typeof FAILED>
  /** Invalidations that went through. */
  replayed(tags: readonly string[], keys: readonly string[]): void
}

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
  private replaying = false
  /** The resources and scopes of the pending row tags (built when first needed after a change). */
  private rowBases: Set<string> | undefined

  get size(): number {
    return this.tags.size + this.keys.size
  }

  /** Remembers items; resolves `false` when some had to be dropped (the cap was reached). */
  add(kind: 'tags' | 'keys', items: readonly string[]): boolean {
    const set = this[kind]
    if (kind === 'tags') this.rowBases = undefined
    for (const item of items) {
      if (this.size >= MAX_PENDING) return false
      set.add(item)
    }
    return true
  }

  /**
   * Whether an entry under `key` carrying `tags` is covered by a pending invalidation. A row set
   * tag stands for rows this process does not know: any pending row tag of its resource and scope
   * covers it.
   */
  covers(key: string, tags: readonly { name: string }[]): boolean {
    if (this.size === 0) return false
    if (this.keys.has(key)) return true
    for (const t of tags) {
      if (this.tags.has(t.name)) return true
      if (isRowSetTag(t.name)) {
        this.rowBases ??= new Set([...this.tags].flatMap((p) => rowBaseOf(p) ?? []))
        if (this.rowBases.has(rowBaseOf(t.name) as string)) return true
      }
    }
    return false
  }

  /** Runs an invalidation; when it fails (fail-open or not), remembers it for the replay. */
  async remembering(
    kind: 'tags' | 'keys',
    items: readonly string[],
    report: FailureReport,
    run: () => Promise<number | typeof FAILED>,
  ): Promise<number | typeof FAILED> {
    let r: number | typeof FAILED = FAILED
    try {
      r = await run()
      return r
    } finally {
      if (r === FAILED && !this.add(kind, items))
        report(
          new CacheError(
            'store_error',
            'too many invalidations pending while the store fails; some were dropped',
          ),
          'invalidate',
          undefined,
        )
    }
  }

  /** Replays what is pending on `target` (after a store call succeeded); one replay at a time. */
  replay(target: ReplayTarget): void {
    if (this.replaying || this.size === 0) return
    this.replaying = true
    const tags = [...this.tags]
    const keys = [...this.keys]
    const run = async () => {
      const doneTags = tags.length > 0 && (await target.invalidateTags(tags)) !== FAILED
      if (doneTags) {
        for (const t of tags) this.tags.delete(t)
        this.rowBases = undefined
      }
      const doneKeys = keys.length > 0 && (await target.deleteKeys(keys)) !== FAILED
      if (doneKeys) for (const k of keys) this.keys.delete(k)
      if (doneTags || doneKeys) target.replayed(doneTags ? tags : [], doneKeys ? keys : [])
    }
    run().finally(() => {
      this.replaying = false
    })
  }
}
