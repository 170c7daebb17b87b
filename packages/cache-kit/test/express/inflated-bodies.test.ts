import { describe, expect, it } from 'vitest'
import { InflatedBodies } from '../../src/express/inflated-bodies.js'

describe('inflated bodies', () => {
  it('answers only for the same gzip bytes, whatever the ETag says', () => {
    const b = new InflatedBodies()
    b.set('"v1"', Buffer.from('gz-of-acme'), Buffer.from('acme body'))
    expect(String(b.get('"v1"', Buffer.from('gz-of-acme')))).toBe('acme body')
    expect(b.get('"v1"', Buffer.from('gz-of-globex'))).toBeUndefined()
    expect(b.get('"v2"', Buffer.from('gz-of-acme'))).toBeUndefined()
  })
  it('drops the oldest entries past its bounds', () => {
    const b = new InflatedBodies(2, 1000)
    for (const k of ['a', 'b', 'c']) b.set(k, Buffer.from(k), Buffer.from(k.repeat(10)))
    expect(b.get('a', Buffer.from('a'))).toBeUndefined()
    expect(String(b.get('c', Buffer.from('c')))).toBe('cccccccccc')
    b.set('big', Buffer.alloc(10), Buffer.alloc(300)) // over a quarter of 1000 bytes: not kept
    expect(b.get('big', Buffer.alloc(10))).toBeUndefined()
  })
})
