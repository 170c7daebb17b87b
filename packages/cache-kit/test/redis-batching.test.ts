// The Redis store batches the reads of one event-loop phase into one script call by itself: a
// client created with no options (`new Redis(url)`) gets what auto-pipelining gives, and more (the
// commands of separate callbacks of one phase share a socket write); a batch never mixes up
// replies, leases or errors between its reads.
import { CacheError, CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import { type Cluster, Redis } from 'ioredis'
import { afterAll, describe, expect, it, vi } from 'vitest'

const redis = useRedis()
const cluster = useRedisCluster()
const fresh: Redis[] = []
afterAll(() => {
  for (const c of fresh) c.disconnect()
})
let n = 0

/** A client as most users create it, connected; counts the script calls it sends. */
async function plainClient(): Promise<{ client: Redis; scriptCalls: () => number }> {
  const client = new Redis(redis.url)
  client.on('error', () => {})
  fresh.push(client)
  await client.ping()
  let calls = 0
  const send = client.sendCommand.bind(client)
  client.sendCommand = ((command, stream) => {
    if (command.name === 'evalsha' || command.name === 'eval') calls++
    return send(command, stream)
  }) as typeof client.sendCommand
  return { client, scriptCalls: () => calls }
}

/** Counts the socket writes of `client` (a corked burst is one `_writev`). */
function countWrites(client: Redis): () => number {
  type Write = (...args: unknown[]) => void
  const stream = (client as unknown as { stream: { _write: Write; _writev: Write } }).stream
  let writes = 0
  for (const name of ['_write', '_writev'] as const) {
    const original = stream[name].bind(stream)
    stream[name] = (...args) => {
      writes++
      original(...args)
    }
  }
  return () => writes
}

/** Runs each function in its own `setImmediate` callback, all in one check phase, and awaits them. */
function inSeparateCallbacks<T>(fns: readonly (() => Promise<T>)[]): Promise<T[]> {
  return Promise.all(
    fns.map((fn) => new Promise<T>((resolve, reject) => setImmediate(() => fn().then(resolve, reject)))),
  )
}

const product = (i: number) => ({ id: i, name: `product ${i}`, price: (i * 1.25).toFixed(2) })

describe('redis store, client with no options', () => {
  it('500 concurrent tagged gets resolve with their own exact values, in two script calls', async () => {
    const { client, scriptCalls } = await plainClient()
    const cache = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}b${++n}` })
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => cache.set(`p${i}`, product(i), { tags: [`t${i % 7}`] })),
    )
    expect(await cache.invalidateTags(['t3'])).toBe(71)
    await cache.get('warm-up') // loads the script, so the burst below counts only batches
    const before = scriptCalls()
    const got = await Promise.all(Array.from({ length: 500 }, (_, i) => cache.get(`p${i}`)))
    // 256 reads per call at most: 500 reads issued in one tick are two calls.
    expect(scriptCalls() - before).toBe(2)
    got.forEach((v, i) => {
      expect(v).toEqual(i % 7 === 3 ? undefined : product(i))
    })
    expect(cache.stats().hits).toBe(429)
  })

  it('reads made by separate callbacks of one event-loop phase go in one script call', async () => {
    const { client, scriptCalls } = await plainClient()
    const cache = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}b${++n}` })
    await Promise.all(Array.from({ length: 8 }, (_, i) => cache.set(`p${i}`, product(i), { tags: ['t'] })))
    await cache.get('warm-up')
    const before = scriptCalls()
    // Each get runs in a callback of its own (as each HTTP request does): a flush per tick would
    // send eight calls.
    const got = await inSeparateCallbacks(Array.from({ length: 8 }, (_, i) => () => cache.get(`p${i}`)))
    expect(scriptCalls() - before).toBe(1)
    got.forEach((v, i) => {
      expect(v).toEqual(product(i))
    })
  })

  it('writes made by separate callbacks of one event-loop phase share their socket writes', async () => {
    const { client } = await plainClient()
    const cache = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}b${++n}` })
    await cache.set('warm-up', 1, { tags: ['t'] })
    const writes = countWrites(client)
    await cache.set('alone', 1, { tags: ['t'] })
    const alone = writes() // a tagged set's round trips: its tags' versions, then the entry
    expect(alone).toBeGreaterThan(0)
    await inSeparateCallbacks(
      Array.from({ length: 8 }, (_, i) => () => cache.set(`p${i}`, product(i), { tags: ['t'] })),
    )
    expect(writes() - alone).toBe(alone)
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => cache.get(`p${i}`)))
    got.forEach((v, i) => {
      expect(v).toEqual(product(i))
    })
  })

  it('with auto-pipelining on, the tag checks of L1 hits leave in the same socket write as the rest', async () => {
    // ioredis' own pipeline would write the MGETs in a write of its own, after the store's.
    const client = new Redis(redis.url, { enableAutoPipelining: true })
    client.on('error', () => {})
    fresh.push(client)
    await client.ping()
    const prefix = `${redis.prefix}b${++n}`
    const cache = new CacheManager({
      store: redisStore({ client }),
      prefix,
      consistency: 'strict',
      l1: { maxEntries: 100 },
    })
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => cache.set(`p${i}`, product(i), { tags: [`t${i}`] })),
    )
    const hits = cache.stats().l1?.hits ?? 0 // the sets left them in L1
    const writes = countWrites(client)
    const got = await inSeparateCallbacks<unknown>([
      ...Array.from({ length: 4 }, (_, i) => () => cache.get(`p${i}`)),
      ...Array.from({ length: 4 }, (_, i) => () => cache.set(`q${i}`, i)),
    ])
    expect(got.slice(0, 4)).toEqual(Array.from({ length: 4 }, (_, i) => product(i)))
    expect((cache.stats().l1?.hits ?? 0) - hits).toBe(4)
    expect(writes()).toBe(1)
  })

  it("fake timers in the caller's tests do not hold the store's batches", async () => {
    const { client } = await plainClient()
    const cache = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}b${++n}` })
    vi.useFakeTimers() // fakes the global setImmediate; the store's comes from node:timers
    try {
      await cache.set('p', product(1), { tags: ['t'] })
      expect(await cache.get('p')).toEqual(product(1))
    } finally {
      vi.useRealTimers()
    }
  })

  it('a read that fails (a key of another type) rejects alone; the others in its batch resolve', async () => {
    const { client, scriptCalls } = await plainClient()
    const prefix = `${redis.prefix}b${++n}`
    const cache = new CacheManager({ store: redisStore({ client }), prefix, failOpen: false })
    await cache.set('a', 'A', { tags: ['x'] })
    await cache.set('c', 'C')
    await client.hset(`${prefix}:b`, 'field', 'not an entry')
    await cache.get('warm-up')
    const before = scriptCalls()
    const [a, b, c, d] = await Promise.allSettled([
      cache.get('a'),
      cache.get('b'),
      cache.get('c'),
      cache.get('d'),
    ])
    expect(scriptCalls() - before).toBe(1)
    expect(a).toEqual({ status: 'fulfilled', value: 'A' })
    expect(c).toEqual({ status: 'fulfilled', value: 'C' })
    expect(d).toEqual({ status: 'fulfilled', value: undefined })
    expect(b.status).toBe('rejected')
    const error = (b as PromiseRejectedResult).reason as CacheError
    expect(error).toBeInstanceOf(CacheError)
    expect(error.code).toBe('store_error')
    expect(error.message).toMatch(/WRONGTYPE/)
  })

  it('getOrSet on 30 cold keys at once, 10 callers each: each loader runs once, leases taken in one batch', async () => {
    const { client } = await plainClient()
    const prefix = `${redis.prefix}b${++n}`
    const cache = new CacheManager({ store: redisStore({ client }), prefix })
    const loads = new Map<number, number>()
    const load = (i: number) => async () => {
      loads.set(i, (loads.get(i) ?? 0) + 1)
      await new Promise((r) => setTimeout(r, 5))
      return product(i)
    }
    const calls = Array.from({ length: 300 }, (_, j) => {
      const i = j % 30
      return cache.getOrSet(`k${i}`, load(i)).then((v) => [i, v] as const)
    })
    for (const [i, v] of await Promise.all(calls)) expect(v).toEqual(product(i))
    expect([...loads.values()]).toEqual(Array.from({ length: 30 }, () => 1))
    // Every lease was released once its entry was written.
    await cache.close()
    expect(await client.keys(`${prefix}#l:*`)).toEqual([])
    const other = new CacheManager({ store: redisStore({ client: redis.client }), prefix })
    expect(await other.get('k29')).toEqual(product(29))
  })
})

describe('redis cluster store, client with no options', () => {
  it('200 concurrent gets of keys in different slots resolve with their own exact values', async () => {
    const client: Cluster = cluster.connect({})
    await client.ping()
    const prefix = `${cluster.prefix}b${++n}`
    const cache = new CacheManager({ store: redisStore({ client }), prefix, timeout: '2s' })
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => cache.set(`p${i}`, product(i), { tags: [`t${i % 5}`] })),
    )
    const slots = new Set(
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.cluster('KEYSLOT', `${prefix}:p${i}`) as Promise<number>),
      ),
    )
    expect(slots.size).toBeGreaterThan(10)
    await cache.invalidateTags(['t2'])
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => cache.get(`p${i}`)))
    got.forEach((v, i) => {
      expect(v).toEqual(i % 5 === 2 ? undefined : product(i))
    })
  })
})
