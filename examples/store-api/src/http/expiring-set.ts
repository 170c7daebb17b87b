/**
 * A bounded set of strings that forgets each member `ttlMs` after it was added. Past `maxSize`
 * members the oldest goes first, so a flood of distinct values costs a fixed amount of memory.
 */
export class ExpiringSet {
  // A Map iterates in insertion order: its first key is always the oldest member.
  private readonly added = new Map<string, number>()

  constructor(
    private readonly maxSize: number,
    private readonly ttlMs: number,
  ) {}

  /** True when `value` was added less than `ttlMs` ago. */
  has(value: string, now = Date.now()): boolean {
    const at = this.added.get(value)
    if (at === undefined) return false
    if (now - at < this.ttlMs) return true
    this.added.delete(value)
    return false
  }

  /** Adds `value` (or renews it), evicting the oldest member when full. */
  add(value: string, now = Date.now()): void {
    this.added.delete(value)
    if (this.added.size >= this.maxSize) {
      const oldest = this.added.keys().next()
      if (!oldest.done) this.added.delete(oldest.value)
    }
    this.added.set(value, now)
  }

  /** Members held, expired ones included until they are looked up or evicted. */
  get size(): number {
    return this.added.size
  }
}
