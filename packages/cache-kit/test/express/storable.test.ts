import { describe, expect, it } from 'vitest'
import { resolvePolicy } from '../../src/express/options.js'
import { notStorable, requestBypasses, requestRevalidates } from '../../src/express/storable.js'

describe('never-store rules', () => {
  const policy = resolvePolicy({ ttl: '5m', public: true, maxBodyBytes: 100, statuses: [404] })
  const res = (headers: Record<string, string | string[]>) => ({ getHeader: (n: string) => headers[n] })
  it.each([
    [200, {}, 10, undefined],
    [204, {}, 0, undefined],
    [404, {}, 10, undefined],
    [206, {}, 10, 'status'],
    [500, {}, 10, 'status'],
    [301, {}, 10, 'status'],
    [200, { 'set-cookie': ['a=1'] }, 10, 'set-cookie'],
    [200, { 'cache-control': 'public, private' }, 10, 'cache-control'],
    [200, { 'cache-control': 'no-store' }, 10, 'cache-control'],
    [200, { 'cache-control': 'max-age=60' }, 10, undefined],
    [200, { vary: '*' }, 10, 'vary'],
    [200, { vary: 'Accept-Encoding' }, 10, undefined],
    [200, { vary: 'Cookie' }, 10, 'vary'],
    [200, { 'content-encoding': 'gzip' }, 10, 'content-encoding'],
    [200, {}, 101, 'too-large'],
    [200, { 'content-type': 'text/event-stream' }, 10, 'streaming'],
  ] as const)('status %i with %o and %i bytes → %s', (status, headers, bytes, reason) => {
    expect(notStorable(policy, res(headers as Record<string, string>), status, bytes, undefined)).toBe(reason)
  })
  it('accepts a Vary a middleware set before the handler', () => {
    expect(notStorable(policy, res({ vary: 'Origin' }), 200, 1, 'Origin')).toBeUndefined()
  })
  it('bypasses fat GETs, ranges and request no-store (when honoured); revalidates on no-cache', () => {
    for (const honor of [false, true]) {
      expect(requestBypasses({ 'content-length': '3' }, honor)).toBe(true)
      expect(requestBypasses({ 'transfer-encoding': 'chunked' }, honor)).toBe(true)
      expect(requestBypasses({ 'content-length': '0' }, honor)).toBe(false)
      expect(requestBypasses({ range: 'bytes=0-1' }, honor)).toBe(true)
      expect(requestBypasses({}, honor)).toBe(false)
    }
    expect(requestBypasses({ 'cache-control': 'no-store' }, true)).toBe(true)
    expect(requestBypasses({ 'cache-control': 'no-store' }, false)).toBe(false)
    expect(requestRevalidates({ 'cache-control': 'no-cache' })).toBe(true)
    expect(requestRevalidates({ 'cache-control': 'max-age=0' })).toBe(false)
    expect(requestRevalidates({ pragma: 'no-cache' })).toBe(true)
    expect(requestRevalidates({})).toBe(false)
  })
})
