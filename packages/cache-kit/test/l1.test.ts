import { describe, expect, it } from 'vitest'
import { L1Tier } from '../src/l1.js'

const now = 1_000_000
const entry = (tags: string[]) => ({
  value: tags.join(','),
  storedAt: now,
  expiresAt: now + 60_000,
  graceUntil: now + 60_000,
  tags,
  versions: tags.map(() => '1'),
})

describe('L1Tier.evictTags', () => {
  it('drops exactly the entries carrying one of the tags, as they are now', () => {
    const l1 = new L1Tier(3, 60_000)
    l1.set('a', entry(['t1', 'row:1']), now)
    l1.set('b', entry(['t1', 'row:2']), now)
    l1.set('c', entry(['row:3']), now)
    // Re-set with other tags: the old ones no longer reach it.
    l1.set('b', entry(['row:9']), now)
    expect(l1.evictTags(['t1'])).toBe(1)
    expect(l1.get('a', now)).toBeUndefined()
    expect(l1.get('b', now)?.value).toBe('row:9')
    // An entry evicted for room is forgotten by the index too: its tags drop nothing later.
    l1.set('d', entry(['row:4']), now)
    l1.set('e', entry(['row:5']), now)
    expect(l1.get('c', now)).toBeUndefined()
    expect(l1.evictTags(['row:3', 'row:9', 'row:5'])).toBe(2)
    expect(l1.get('d', now)?.value).toBe('row:4')
  })

  it('moves its generation on every eviction, even of nothing', () => {
    const l1 = new L1Tier(10, 60_000)
    const before = l1.generation
    expect(l1.evictTags(['none'])).toBe(0)
    expect(l1.generation).toBe(before + 1)
  })
})
