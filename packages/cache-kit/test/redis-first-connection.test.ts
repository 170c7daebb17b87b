// A fresh ioredis client (`new Redis(url)`, used at once, as the quick starts do) behaves as a
// connected one: the store waits for its first connection (bounded by `connectWait`).
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'

const redis = useRedis()
const clients: Redis[] = []
afterAll(() => {
  for (const c of clients) c.disconnect()
})
let n = 0

function freshClient(options: RedisOptions = {}): Redis {
  const c = new Redis(redis.url, options)
  c.on('error', () => {})
  clients.push(c)
  return c
}

describe('redis store on a client that has not connected yet', () => {
  it('a set right after construction is stored, and a get reads it', async () => {
    const prefix = `${redis.prefix}f${++n}`
    const client = freshClient()
    expect(client.status).not.toBe('ready')
    const cache = new CacheManager({ store: redisStore({ client }), prefix })
    const errors: string[] = []
    cache.on('error', (e) => errors.push(e.error.code))
    await cache.set('k', { v: 1 }, { tags: ['t'] })
    expect(await cache.get('k')).toEqual({ v: 1 })
    const other = new CacheManager({ store: redisStore({ client: redis.client }), prefix })
    expect(await other.get('k')).toEqual({ v: 1 })
    expect(errors).toEqual([])
  })

  it('getOrSet from 20 callers at once runs the loader once, and the value is stored', async () => {
    const prefix = `${redis.prefix}f${++n}`
    const cache = new CacheManager({ store: redisStore({ client: freshClient() }), prefix })
    let loads = 0
    const loader = async () => {
      loads++
      return 'loaded'
    }
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('k', loader)))
    expect(all).toEqual(Array.from({ length: 20 }, () => 'loaded'))
    expect(loads).toBe(1)
    const second = new CacheManager({ store: redisStore({ client: freshClient() }), prefix })
    expect(await second.getOrSet('k', loader)).toBe('loaded')
    expect(loads).toBe(1)
  })

  it('ready() resolves ok once connected; a lazy client is told to connect', async () => {
    const client = freshClient({ lazyConnect: true })
    const cache = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}f${++n}` })
    expect(await cache.ready()).toEqual({ ok: true })
    expect(client.status).toBe('ready')
    await cache.set('k', 1)
    expect(await cache.get('k')).toBe(1)
  })

  it('connectWait: 0 keeps the fail-fast: a call before the first connection is a miss', async () => {
    const client = freshClient()
    const cache = new CacheManager({
      store: redisStore({ client, connectWait: 0 }),
      prefix: `${redis.prefix}f${++n}`,
    })
    const errors: string[] = []
    cache.on('error', (e) => errors.push(e.error.code))
    await cache.set('k', 1)
    expect(errors).toEqual(['store_unavailable'])
  })
})
