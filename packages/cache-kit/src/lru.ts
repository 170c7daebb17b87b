/**
 * A bounded map with least-recently-used eviction and per-entry expiry (epoch ms). Recency is
 * refreshed on a read only once an entry has left the newest quarter of the map: re-inserting
 * (a Map delete and set) would cost more than the rest of a hit, and an entry in the newest
 * quarter is still at least three quarters of the capacity away from eviction.
 */
export class Lru<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number; tick: number; size: number }>()
  /** Insertions so far: an entry's `tick` says how recently it was (re)inserted. */
  private tick = 0
  private readonly fresh: number
  /** Sum of the entries' sizes (with a byte budget). */
  private total = 0
  /**
   * Every (re)insertion in order, as a key and its tick: the least recently used key is the first
   * whose entry still has that tick. A Map's own iterator would walk every slot earlier deletes left
   * at its front until the Map is rehashed (7 µs an insert at capacity with 10,000 entries, 40 µs
   * with 100,000), and one kept across evictions would keep deleted values alive through the
   * tables the Map replaced. Records of keys deleted or re-inserted since are skipped, and the list
   * is rebuilt from the Map once they outnumber the entries.
   */
  private orderKeys: string[] = []
  private orderTicks: number[] = []
  /** Records before this index were consumed by evictions. */
  private head = 0
  /**
   * `budget`: evict the least recently used entries until the sizes (`sizeOf`) add up to at most
   * `maxBytes`, too; an entry bigger than the whole budget is not kept. `onRemove` is called for
   * every entry that leaves (deleted, replaced, evicted, found expired; not on `clear`).
   */
  constructor(
    private readonly maxEntries: number,
    private readonly budget?: {
      readonly maxBytes: number
      readonly sizeOf: (key: string, value: V) => number
    },
    private readonly onRemove?: (key: string, value: V) => void,
  ) {
    this.fresh = maxEntries >> 2
  }

  /** Sum of the entries' sizes (0 without a byte budget). */
  get bytes(): number {
    return this.total
  }

  get size(): number {
    return this.map.size
  }

  /** The value, refreshed as most recently used; `undefined` when absent or expired. */
  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key)
    if (!e) return undefined
    if (e.expiresAt <= now) {
      this.delete(key)
      return undefined
    }
    // Re-inserting moves the key to the end of Map's insertion order, which is the recency order.
    if (this.tick - e.tick >= this.fresh) {
      e.tick = ++this.tick
      this.map.delete(key)
      this.map.set(key, e)
      this.recordOrder(key, e.tick)
    }
    return e.value
  }

  /** Stores `value`; `false` when it alone is bigger than the byte budget (then the key is absent). */
  set(key: string, value: V, expiresAt: number): boolean {
    this.delete(key)
    const size = this.budget ? this.budget.sizeOf(key, value) : 0
    if (this.budget && size > this.budget.maxBytes) return false
    this.map.set(key, { value, expiresAt, tick: ++this.tick, size })
    this.recordOrder(key, this.tick)
    this.total += size
    const maxBytes = this.budget?.maxBytes ?? Number.POSITIVE_INFINITY
    while (this.map.size > this.maxEntries || this.total > maxBytes) {
      const oldest = this.oldest()
      if (oldest === undefined) break
      this.delete(oldest)
    }
    return true
  }

  private recordOrder(key: string, tick: number): void {
    this.orderKeys.push(key)
    this.orderTicks.push(tick)
    if (this.orderKeys.length - this.head > 2 * this.map.size + 64) {
      // The Map iterates in (re)insertion order: one walk, paid for by as many records as entries.
      this.orderKeys = []
      this.orderTicks = []
      this.head = 0
      for (const [k, e] of this.map) {
        this.orderKeys.push(k)
        this.orderTicks.push(e.tick)
      }
    }
  }

  /** The least recently (re)inserted key, its record consumed; `undefined` when empty. */
  private oldest(): string | undefined {
    const keys = this.orderKeys
    const ticks = this.orderTicks
    while (this.head < keys.length) {
      const key = keys[this.head] as string
      const tick = ticks[this.head] as number
      this.head++
      if (this.map.get(key)?.tick !== tick) continue
      if (this.head >= 1024 && this.head * 2 >= keys.length) {
        keys.splice(0, this.head)
        ticks.splice(0, this.head)
        this.head = 0
      }
      return key
    }
    return undefined
  }

  delete(key: string): boolean {
    const e = this.map.get(key)
    if (!e) return false
    this.map.delete(key)
    this.total -= e.size
    this.onRemove?.(key, e.value)
    return true
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
    this.orderKeys = []
    this.orderTicks = []
    this.head = 0
    this.total = 0
  }
}
