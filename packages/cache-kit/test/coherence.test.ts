import { type CacheEvents, CacheManager, type CacheStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
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
    // Writes from a manager without L1 publish nothing, so no bus message can arrive late and
    // race the reads that follow.
    const client = connect()
    await client.ping()
    const seed = new CacheManager({ store: redisStore({ client }), prefix: p, timeout: '2s' })
    return { a, b, seed }
  }

  it('a bus drops the other process L1 copy on set, delete, tags and pattern', async () => {
    const { a, b, seed } = await pair()
    await seed.set('k', 1, { tags: ['t'] })
    await seed.set('products:1', 'p1')
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

    await seed.set('d', 'x')
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

describe('redis cluster with l1 and bus: tag versions kept in process', () => {
  it('a tagged L2 hit costs one store call once the versions are known, and the bus keeps them right', async () => {
    const p = `${cluster.prefix}v${++n}`
    const ready = async () => {
      const c = cluster.connect()
      await c.ping()
      return c
    }
    const base = redisStore({ client: await ready() })
    const calls = { get: 0, tagVersions: 0 }
    // Counts the calls that reach the real cluster; every one is still a real command.
    const counted: CacheStore = {
      ...base,
      get: (k) => {
        calls.get++
        return base.get(k)
      },
      tagVersions: (k) => {
        calls.tagVersions++
        return base.tagVersions(k)
      },
    }
    const a = new CacheManager({
      store: redisStore({ client: await ready() }),
      prefix: p,
      timeout: '2s',
      l1: {},
    })
    const b = new CacheManager({ store: counted, prefix: p, timeout: '2s', l1: { maxEntries: 1 } })
    await Promise.all([a.ready(), b.ready()])
    const seed = new CacheManager({ store: redisStore({ client: await ready() }), prefix: p, timeout: '2s' })
    await seed.set('k', 'v', { tags: ['t1', 't2'] })
    await seed.set('other', 'o')
    expect(await b.get('k')).toBe('v') // versions unknown yet: entry + versions
    expect(calls).toEqual({ get: 1, tagVersions: 1 })
    expect(await b.get('other')).toBe('o') // evicts 'k' from b's one-entry L1
    expect(await b.get('k')).toBe('v')
    expect(calls).toEqual({ get: 3, tagVersions: 1 })
    const seen = nextBusEvent(b, 'tags')
    await a.invalidateTags(['t2'])
    await seen
    expect(await b.get('k')).toBeUndefined()
    expect(calls).toEqual({ get: 4, tagVersions: 2 })
    await Promise.all([a.close(), b.close()])
  })
})
