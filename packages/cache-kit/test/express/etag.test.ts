import { describe, expect, it } from 'vitest'
import { gzipEtagOf, isStrongEtag, matchesIfNoneMatch, strongEtag } from '../../src/express/etag.js'

describe('ETag', () => {
  it('is strong, stable and depends on every byte', () => {
    const a = strongEtag(Buffer.from('hello'))
    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(strongEtag(Buffer.from('hello'))).toBe(a)
    expect(strongEtag(Buffer.from('hellp'))).not.toBe(a)
    expect(isStrongEtag(a)).toBe(true)
    expect(isStrongEtag('W/"x"')).toBe(false)
  })
  it('derives a distinct strong ETag for the gzip representation', () => {
    expect(gzipEtagOf('"abc"')).toBe('"abc-gzip"')
    expect(isStrongEtag(gzipEtagOf('"abc"'))).toBe(true)
    expect(matchesIfNoneMatch('"abc"', gzipEtagOf('"abc"'))).toBe(false)
  })
  it('matches If-None-Match with the weak comparison', () => {
    expect(matchesIfNoneMatch('"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('W/"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('"b", W/"a"', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('*', '"a"')).toBe(true)
    expect(matchesIfNoneMatch('"b"', '"a"')).toBe(false)
    expect(matchesIfNoneMatch(undefined, '"a"')).toBe(false)
    expect(matchesIfNoneMatch('', '"a"')).toBe(false)
  })
})
