import { describe, expect, it } from 'vitest'
import { ResponseFlights } from '../../src/express/flights.js'

describe('ResponseFlights.invalidatedSince', () => {
  it('tells whether one of the tags was invalidated since an epoch, across epochs moved without tags', () => {
    const f = new ResponseFlights()
    const start = f.epoch
    expect(f.invalidatedSince(start, ['p:1'])).toBe(false)
    f.taggedInvalidation(['p:2', 'p#e'])
    f.epoch++ // a write starting, or keys
    expect(f.invalidatedSince(start, ['p:1', 'p:3'])).toBe(false)
    expect(f.invalidatedSince(start, ['p:3', 'p:2'])).toBe(true)
    const later = f.epoch
    f.taggedInvalidation(['p:1'])
    expect(f.invalidatedSince(later, ['p:2'])).toBe(false)
    expect(f.invalidatedSince(later, ['p:1'])).toBe(true)
  })

  it('cannot tell (undefined) once more invalidations ran than it remembers', () => {
    const f = new ResponseFlights()
    const start = f.epoch
    f.taggedInvalidation(['p:1'])
    for (let i = 0; i < 256; i++) f.taggedInvalidation([`q:${i}`])
    expect(f.invalidatedSince(start, ['p:1'])).toBeUndefined()
    expect(f.invalidatedSince(start + 1, ['q:0'])).toBe(true)
  })
})
