import { describe, expect, it } from 'vitest'
import { ExpiringSet } from '../src/http/expiring-set.js'
import { nestsDeeperThan } from '../src/http/json-body.js'

describe('nestsDeeperThan', () => {
  const depth = (text: string, max: number) => nestsDeeperThan(Buffer.from(text), max)

  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(depth('{"a":[{"b":[1]}]}', 4)).toBe(false)
    expect(depth('{"a":[{"b":[1]}]}', 3)).toBe(true)
    expect(depth('{"a":"[[[[{{{{"}', 1)).toBe(false)
    expect(depth('{"a":"\\"[[[["}', 1)).toBe(false)
    expect(depth('["\\\\",[[1]]]', 2)).toBe(true)
    expect(depth(`${'['.repeat(300_000)}${']'.repeat(300_000)}`, 32)).toBe(true)
  })
})

describe('ExpiringSet', () => {
  it('forgets a member after its ttl and evicts the oldest past its size', () => {
    const set = new ExpiringSet(2, 1000)
    set.add('a', 0)
    set.add('b', 10)
    expect([set.has('a', 999), set.has('a', 1000)]).toEqual([true, false])
    set.add('c', 20)
    set.add('d', 30)
    expect([set.has('b', 30), set.has('c', 30), set.has('d', 30), set.size]).toEqual([false, true, true, 2])
  })
})
