import { type CacheEvents, CacheManager, redisStore } from '@hotpath/cache-kit'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import type { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'

const single = useRedis()
const cluster = useRedisCluster()

/** Resolves with the next bus-delivered invalidation of `kind` on `cache`. */
function nextBusEvent(cache: CacheManager, kind: CacheEvents['invalidate']['kind']) {
  return new Promise<CacheEvents['invalidate']>((resolve) => {
    const off = cache.on('invalidate', (e) => {
      if (e.source === 'bus' && e.kind === kind) {
        off()
        resolve(e)
      }
    })
  })
}

let n = 0
describe.each([
  ['redis', () => ({ prefix: single.prefix, connect: (): Redis | Cluster => single.connect() })],
  ['redis cluster', () => ({ prefix: cluster.prefix, connect: (): Redis | Cluster => cluster.connect() })],
])('%s: two processes', (_name, space) => {
  // Two managers on two clients stand for two processes sharing one Redis.
  async function pair(l1 = true) {
    const { prefix, connect } = space()
    const p = `${prefix}c${++n}`
    const make = async () => {
      const client = connect()
      await client.ping()
      return new CacheManager({ store: redisStore({ client }), prefix: p, timeout: '2s', l1: l1 && {} })
    }
    const [a, b] = [await make(), await make()]
    await Promise.all([a.ready(), b.ready()])
    return { a, b }
  }

  it('a bus drops the other process L1 copy on set, delete, tags and pattern', async () => {
    const { a, b } = await pair()
    await a.set('k', 1, { tags: ['t'] })
    await a.set('products:1', 'p1')
    expect(await b.get('k')).toBe(1)
    expect(await b.get('k')).toBe(1)
    expect(b.stats().l1?.hits).toBe(1)

    let seen = nextBusEvent(b, 'keys')
    await a.set('k', 2, { tags: ['t'] })
    expect((await seen).count).toBe(1)
    expect(await b.get('k')).toBe(2)

    seen = nextBusEvent(b, 'tags')
    await a.invalidateTags(['t'])
    expect(await seen).toMatchObject({ tags: ['t'], count: 1 })
    expect(await b.get('k')).toBeUndefined()

    expect(await b.get('products:1')).toBe('p1')
    seen = nextBusEvent(b, 'pattern')
    await a.invalidatePattern('products:*')
    expect(await seen).toMatchObject({ pattern: 'products:*', count: 1 })
    expect(await b.get('products:1')).toBeUndefined()

    await a.set('d', 'x')
    expect(await b.get('d')).toBe('x')
    seen = nextBusEvent(b, 'keys')
    await a.delete('d')
    await seen
    expect(await b.get('d')).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })

  it('a lease makes concurrent getOrSet in two processes run the loader once', async () => {
    const { a, b } = await pair(false)
    let calls = 0
    const loader = async () => {
      calls++
      await new Promise((r) => setTimeout(r, 50))
      return { shared: true }
    }
    const all = await Promise.all([
      ...Array.from({ length: 20 }, () => a.getOrSet('cold', loader)),
      ...Array.from({ length: 20 }, () => b.getOrSet('cold', loader)),
    ])
    expect(calls).toBe(1)
    for (const v of all) expect(v).toEqual({ shared: true })
    await Promise.all([a.close(), b.close()])
  })
})
