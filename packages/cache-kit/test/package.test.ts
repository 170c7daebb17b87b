import { readFileSync } from 'node:fs'
import { CacheError, VERSION } from '@hotpath/cache-kit'
import { CacheResponseError } from '@hotpath/cache-kit/express'
import { describe, expect, it } from 'vitest'

describe('the package', () => {
  it('exports the version package.json declares', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(VERSION).toBe(pkg.version)
  })

  it('shapes its errors as every hotpath error: name, code, status, cause', () => {
    const cause = new Error('socket closed')
    const core = new CacheError('store_error', 'get failed', { cause })
    expect([core.name, core.code, core.status, core.cause]).toEqual([
      'CacheError',
      'store_error',
      undefined,
      cause,
    ])
    const http = new CacheResponseError('query_not_allowed', 'query parameter not allowed: x', { param: 'x' })
    expect([http.name, http.code, http.status, http.param]).toEqual([
      'CacheResponseError',
      'query_not_allowed',
      400,
      'x',
    ])
    expect(new CacheResponseError('invalid_option', 'bad').status).toBe(500)
  })
})
