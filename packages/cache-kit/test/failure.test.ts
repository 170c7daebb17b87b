import { CacheError, CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { type ControlledService, freePort, startPrivateRedis } from '@hotpath/test-services/faults'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const TIMEOUT = 100
// Timer and scheduling jitter on a loaded 2-core CI machine (under 90 ms). The point is "bounded by one timeout":
// a call that waited on two store calls in a row would take at least 2 × TIMEOUT.
const SLACK = 90

let server: ControlledService
const clients: Redis[] = []

// The recommended client settings: nothing queues while Redis is away.
function connect(url: string): Redis {
  const c = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500 })
  c.on('error', () => {})
  clients.push(c)
  return c
}

async function ready(c: Redis): Promise<void> {
  if (c.status !== 'ready') await new Promise((r) => c.once('ready', r))
}

beforeAll(async () => {
  server = await startPrivateRedis()
})
afterAll(async () => {
  for (const c of clients) c.disconnect()
  await server.dispose()
})

/** Runs every public operation once, timing each; none may reject. */
async function everyOperation(cache: CacheManager): Promise<{ ms: number[]; results: unknown[] }> {
  const ops: Array<() => Promise<unknown>> = [
    () => cache.get('k'),
    () => cache.getEntry('k'),
    () => cache.set('k', { v: 1 }),
    () => cache.set('t', 1, { tags: ['a'] }),
    () => cache.getOrSet('k', () => 'loaded'),
    () => cache.getOrSet('tagged', () => 'loaded', { tags: ['a'] }),
    () => cache.delete('k', 'x'),
    () => cache.invalidateTags(['a']),
  ]
  const ms: number[] = []
  const results: unknown[] = []
  for (const op of ops) {
    const t0 = performance.now()
    results.push(await op())
    ms.push(performance.now() - t0)
  }
  return { ms, results }
}

describe('fail-open against a broken Redis', () => {
  it('paused (a stopped process): every call ends within the timeout, nothing rejects, the breaker opens', async () => {
    const client = connect(server.url)
    await ready(client)
    const cache = new CacheManager({
      store: redisStore({ client }),
      prefix: 'paused',
      timeout: TIMEOUT,
      breaker: { threshold: 3, cooldown: '300ms' },
    })
    const codes: string[] = []
    cache.on('error', (e) => codes.push(e.error.code))
    await cache.set('warm', 1)
    expect(await cache.get('warm')).toBe(1)
    server.pause()
    try {
      const first = await everyOperation(cache)
      for (const ms of first.ms) expect(ms).toBeLessThan(TIMEOUT + SLACK)
      expect(first.results).toEqual([undefined, undefined, undefined, undefined, 'loaded', 'loaded', 0, 0])
      expect(codes.slice(0, 3)).toEqual(['timeout', 'timeout', 'timeout'])
      expect(codes).toContain('circuit_open')
      const s = cache.stats()
      expect(s.circuit).toBe('open')
      expect(s.timeouts).toBe(3)
      expect(s.errors).toBe(codes.length)
      expect(s.circuitRejections).toBeGreaterThan(0)
    } finally {
      server.resume()
    }
    // After the cooldown one probe goes through; it succeeds, so the circuit closes again.
    await new Promise((r) => setTimeout(r, 350))
    expect(await cache.get('warm')).toBe(1)
    expect(cache.stats().circuit).toBe('closed')
    await cache.set('after', 2)
    expect(await cache.get('after')).toBe(2)
  })

  it('stopped (a closed port): calls fail fast as misses and no-ops, counted and emitted', async () => {
    const client = connect(server.url)
    await ready(client)
    const cache = new CacheManager({ store: redisStore({ client }), prefix: 'stopped', timeout: TIMEOUT })
    const codes = new Set<string>()
    cache.on('error', (e) => codes.add(e.error.code))
    await server.kill()
    try {
      const run = await everyOperation(cache)
      for (const ms of run.ms) expect(ms).toBeLessThan(TIMEOUT + SLACK)
      expect(run.results).toEqual([undefined, undefined, undefined, undefined, 'loaded', 'loaded', 0, 0])
      expect(cache.stats().errors).toBeGreaterThanOrEqual(6)
      expect(
        [...codes].every((c) => ['store_unavailable', 'store_error', 'circuit_open', 'timeout'].includes(c)),
      ).toBe(true)
    } finally {
      await server.start()
    }
  })

  it('a port nobody listens on: misses and no-ops from the first call', async () => {
    const client = connect(`redis://127.0.0.1:${await freePort()}`)
    const cache = new CacheManager({ store: redisStore({ client }), prefix: 'nobody', timeout: TIMEOUT })
    const run = await everyOperation(cache)
    for (const ms of run.ms) expect(ms).toBeLessThan(TIMEOUT + SLACK)
    expect(run.results).toEqual([undefined, undefined, undefined, undefined, 'loaded', 'loaded', 0, 0])
    expect(cache.stats().errors).toBeGreaterThanOrEqual(8)
  })

  it('an invalidation lost to an outage is replayed once Redis answers again', async () => {
    const client = connect(server.url)
    const other = connect(server.url)
    await Promise.all([ready(client), ready(other)])
    const breaker = { threshold: 1, cooldown: '200ms' } as const
    const a = new CacheManager({ store: redisStore({ client }), prefix: 'replay', timeout: TIMEOUT, breaker })
    const b = new CacheManager({ store: redisStore({ client: other }), prefix: 'replay', timeout: '2s' })
    await a.set('p', { price: 1 }, { tags: ['products'] })
    server.pause()
    try {
      expect(await a.get('x')).toBeUndefined() // times out: a's circuit opens
    } finally {
      server.resume()
    }
    expect(a.stats().circuit).toBe('open')
    // Refused by the open circuit, so it never reaches Redis, where the old entry stays valid.
    expect(await a.invalidateTags(['products'])).toBe(0)
    expect(await b.get('p')).toEqual({ price: 1 })
    await new Promise((r) => setTimeout(r, 250))
    const replayed = new Promise((resolve) => a.on('invalidate', (e) => e.kind === 'tags' && resolve(e.tags)))
    // The probe read succeeds; the entry is covered by the pending invalidation, then it is replayed.
    expect(await a.get('p')).toBeUndefined()
    expect(await replayed).toEqual(['products'])
    expect(await b.get('p')).toBeUndefined()
    expect(await a.get('p')).toBeUndefined()
  })

  it('a lease whose request timed out while Redis was paused is let go when Redis answers it', async () => {
    const client = connect(server.url)
    const other = connect(server.url)
    await Promise.all([ready(client), ready(other)])
    const lock = { ttl: '30s', wait: '2s' } as const
    const a = new CacheManager({ store: redisStore({ client }), prefix: 'orphan', timeout: TIMEOUT, lock })
    let lockKeys: string[] = []
    server.pause()
    try {
      // The read and its lease request reach the paused server; the call gives up after the timeout.
      expect(await a.getOrSet('k', () => 'loaded')).toBe('loaded')
    } finally {
      server.resume()
    }
    // Replies come in order on one connection: once this PING is answered, the late lease reply was
    // read; after the pending callbacks ran (setImmediate), its release was sent before the KEYS below.
    await client.ping()
    await new Promise((r) => setImmediate(r))
    lockKeys = await client.keys('orphan#l:*')
    expect(lockKeys).toEqual([])
    // A second process is not held up by a lease nobody owns: it takes its own and stores the value.
    const b = new CacheManager({
      store: redisStore({ client: other }),
      prefix: 'orphan',
      timeout: '2s',
      lock,
    })
    let loads = 0
    expect(await b.getOrSet('k', () => ++loads)).toBe(1)
    expect(await a.get('k')).toBe(1)
  })

  it('strict consistency, Redis paused: an L1 copy is not trusted, reads miss, loaders run, nothing rejects', async () => {
    const client = connect(server.url)
    await ready(client)
    const cache = new CacheManager({
      store: redisStore({ client }),
      prefix: 'strict-paused',
      timeout: TIMEOUT,
      l1: {},
      consistency: 'strict',
      breaker: { threshold: 2, cooldown: '300ms' },
    })
    await cache.ready()
    const codes: string[] = []
    cache.on('error', (e) => codes.push(e.error.code))
    await cache.set('mine', 'cached', { tags: ['t'] })
    expect(await cache.get('mine')).toBe('cached')
    server.pause()
    try {
      const run = await everyOperation(cache)
      for (const ms of run.ms) expect(ms).toBeLessThan(TIMEOUT + SLACK)
      // An untagged value this process set stays in its L1 (strict checks tag versions only).
      expect(run.results).toEqual([undefined, undefined, undefined, undefined, { v: 1 }, 'loaded', 0, 0])
      // The L1 copy cannot be checked against the store: it is not served.
      expect(await cache.get('mine')).toBeUndefined()
      expect(await cache.getOrSet('mine', () => 'loaded', { tags: ['t'] })).toBe('loaded')
      await expect(cache.getEntry('mine', { failOpen: false })).rejects.toBeInstanceOf(CacheError)
      expect(codes).toContain('timeout')
      expect(codes).toContain('circuit_open')
    } finally {
      server.resume()
    }
    await new Promise((r) => setTimeout(r, 350))
    expect(await cache.get('mine')).toBe('cached')
    await cache.close()
  })

  it('failOpen: false rejects with a CacheError instead', async () => {
    const client = connect(`redis://127.0.0.1:${await freePort()}`)
    const cache = new CacheManager({ store: redisStore({ client }), prefix: 'strict', failOpen: false })
    await expect(cache.get('k')).rejects.toBeInstanceOf(CacheError)
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'store_unavailable' })
    const lenient = new CacheManager({ store: redisStore({ client }), prefix: 'strict' })
    await expect(lenient.getEntry('k', { failOpen: false })).rejects.toMatchObject({
      code: 'store_unavailable',
    })
    expect(await lenient.getEntry('k')).toBeUndefined()
  })
})
