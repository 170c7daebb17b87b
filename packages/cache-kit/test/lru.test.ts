import { describe, expect, it } from 'vitest'
import { Lru } from '../src/lru.js'

const NEVER = Number.POSITIVE_INFINITY

/** A seeded generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
}

describe('Lru eviction', () => {
  it('evicts the least recently inserted key through sets, re-sets, deletes and clears', () => {
    for (const capacity of [1, 3, 16]) {
      const next = random(capacity)
      const lru = new Lru<number>(capacity)
      // The model: a Map whose first key is the one to evict (a re-set moves a key to the end).
      const model = new Map<string, number>()
      for (let step = 0; step < 20_000; step++) {
        const key = `k${Math.floor(next() * capacity * 3)}`
        const r = next()
        if (r < 0.7) {
          lru.set(key, step, NEVER)
          model.delete(key)
          model.set(key, step)
          while (model.size > capacity) model.delete(model.keys().next().value as string)
        } else if (r < 0.98) {
          expect(lru.delete(key)).toBe(model.delete(key))
        } else {
          lru.clear()
          model.clear()
        }
        expect([...lru.keys(0)]).toEqual([...model.keys()])
      }
    }
  })

  it('keeps a key read once it left the newest quarter until the keys inserted before its read are gone', () => {
    const lru = new Lru<number>(8)
    for (let i = 0; i < 8; i++) lru.set(`k${i}`, i, NEVER)
    expect(lru.get('k0', 0)).toBe(0)
    lru.set('k8', 8, NEVER)
    expect(lru.get('k0', 0)).toBe(0)
    expect(lru.get('k1', 0)).toBeUndefined()
    expect(lru.size).toBe(8)
    // k2…k7 go first, then k0, whose refresh made it the newest of the first eight.
    for (let i = 9; i < 16; i++) lru.set(`k${i}`, i, NEVER)
    expect([...lru.keys(0)]).toEqual(['k8', 'k9', 'k10', 'k11', 'k12', 'k13', 'k14', 'k15'])
  })

  it('at 100,000 entries, a second 100,000 inserts evict exactly the first ones', () => {
    // The eviction cost itself (once 40 µs an insert at this size) is measured in bench/cache-core
    // (invalidate-cpu.ts, the `many` variant), not here: tests do not assert on time.
    const lru = new Lru<number>(100_000)
    for (let i = 0; i < 100_000; i++) lru.set(`w${i}`, i, NEVER)
    for (let i = 0; i < 100_000; i++) lru.set(`k${i}`, i, NEVER)
    expect(lru.size).toBe(100_000)
    expect(lru.get('w99999', 0)).toBeUndefined()
    expect(lru.get('k0', 0)).toBe(0)
    expect(lru.get('k99999', 0)).toBe(99_999)
  })
})
