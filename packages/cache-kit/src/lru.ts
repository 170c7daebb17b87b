/**
 * A bounded map with least-recently-used eviction and per-entry expiry (epoch ms). Recency is
 * refreshed on a read only once an entry has left the newest quarter of the map: re-inserting
 * (a Map delete and set) would cost more than the rest of a hit, and an entry in the newest
 * quarter is still at least three quarters of the capacity away from eviction.
 */
export class Lru<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number; tick: number }>()
  /** Insertions so far: an entry's `tick` says how recently it was (re)inserted. */
  private tick = 0
  private readonly fresh: number

  constructor(private readonly maxEntries: number) {
    this.fresh = maxEntries >> 2
  }

  get size(): number {
    return this.map.size
  }

  /** The value, refreshed as most recently used; `undefined` when absent or expired. */
  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key)
    if (!e) return undefined
    if (e.expiresAt <= now) {
      this.map.delete(key)
      return undefined
    }
    // Re-inserting moves the key to the end of Map's insertion order, which is the recency order.
    if (this.tick - e.tick >= this.fresh) {
      e.tick = ++this.tick
      this.map.delete(key)
      this.map.set(key, e)
    }
    return e.value
  }

  set(key: string, value: V, expiresAt: number): void {
    this.map.delete(key)
    this.map.set(key, { value, expiresAt, tick: ++this.tick })
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key)
  }

  /** Live keys, oldest first. */
  *keys(now = Date.now()): IterableIterator<string> {
    for (const [k, e] of this.map) if (e.expiresAt > now) yield k
  }

  /** Live entries, oldest first. */
  *entries(now = Date.now()): IterableIterator<[string, V]> {
    for (const [k, e] of this.map) if (e.expiresAt > now) yield [k, e.value]
  }

  clear(): void {
    this.map.clear()
  }
}
