// A misconfigured `cacheResponse` fails when it is created, with the HTTP layer's error naming the option.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { CacheResponseError, type CacheResponseOptions, cacheResponse } from '@hotpath/cache-kit/express'
import { describe, expect, it } from 'vitest'

const cache = new CacheManager({ store: memoryStore(), prefix: 'option-errors' })

function errorOf(options: unknown): CacheResponseError {
  try {
    cacheResponse(cache, options as CacheResponseOptions)
  } catch (err) {
    if (err instanceof CacheResponseError) return err
    throw err
  }
  throw new Error('cacheResponse accepted the options')
}

describe('cacheResponse duration options', () => {
  it.each([
    ['missing ttl', { public: true }, "cacheResponse: `ttl` is required (e.g. '5m', '250ms' or ms)"],
    [
      'malformed ttl',
      { ttl: 'soon', public: true },
      "cacheResponse: `ttl` must be a duration ('5m', '250ms' or ms), got \"soon\"",
    ],
    [
      'negative ttl',
      { ttl: -1, public: true },
      "cacheResponse: `ttl` must be a duration ('5m', '250ms' or ms), got -1",
    ],
    [
      'ttl of another type',
      { ttl: {}, public: true },
      "cacheResponse: `ttl` must be a duration ('5m', '250ms' or ms), got object",
    ],
    [
      'malformed grace',
      { ttl: '5m', grace: '1 minute', public: true },
      "cacheResponse: `grace` must be a duration ('5m', '250ms' or ms), got \"1 minute\"",
    ],
  ])('%s: CacheResponseError invalid_option, status 500, naming the option', (_name, options, message) => {
    const err = errorOf(options)
    expect(err.code).toBe('invalid_option')
    expect(err.status).toBe(500)
    expect(err.message).toBe(message)
  })
})
