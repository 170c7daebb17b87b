import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { serviceUrl, spaceName } from './service-url.js'
import { deleteRedisPrefix } from './sweep.js'

/** One test file's space on the real Redis: its own key prefix, deleted (with SCAN) after the file. */
export interface RedisSpace {
  /** The server's URL. */
  readonly url: string
  /** Every key this file writes must start with it. */
  readonly prefix: string
  /** A client opened for the file (closed after it). */
  readonly client: Redis
  /** Opens one more client on the same server (closed after the file). */
  connect(options?: RedisOptions): Redis
}

/**
 * Registers `beforeAll`/`afterAll` hooks that give this test file a Redis client and a key prefix of
 * its own, and delete the prefix's keys afterwards. Throws `ServiceUnavailableError` when Redis is missing.
 */
export function useRedis(): RedisSpace {
  const clients: Redis[] = []
  let url: string | undefined
  let client: Redis | undefined
  let prefix: string | undefined
  const space: RedisSpace = {
    get url() {
      return must(url)
    },
    get prefix() {
      return must(prefix)
    },
    get client() {
      return must(client)
    },
    connect(options) {
      const c = new Redis(must(url), { maxRetriesPerRequest: 1, ...options })
      c.on('error', () => {})
      clients.push(c)
      return c
    },
  }
  beforeAll(async () => {
    url = serviceUrl('redis')
    prefix = spaceName('redis')
    client = space.connect()
    await client.ping()
  })
  afterAll(async () => {
    if (url && prefix) await deleteRedisPrefix(url, prefix)
    for (const c of clients.splice(0)) c.disconnect()
  })
  return space
}

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('useRedis(): the space exists only inside tests (after beforeAll)')
  return v
}
