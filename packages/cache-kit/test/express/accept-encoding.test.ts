import { describe, expect, it } from 'vitest'
import { acceptsGzip } from '../../src/express/accept-encoding.js'

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['x-gzip', true],
    ['*', true],
    ['gzip;q=0', false],
    ['br', false],
    ['identity', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
  ] as const)('%s → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected)
  })
  it('is false without the header', () => expect(acceptsGzip(undefined)).toBe(false))
})
