// A miss is answered before its entry is stored: the client does not wait for the store's round
// trips. Storing late must lose no write: an entry whose store call lands after a write that
// invalidated what it shows is never served. The store's `set` is held open by the test (a gate),
// so the order of events is fixed, with no timing involved. On the memory store and on Redis.
import { CacheManager, type CacheStore, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Gate } from './support/app.js'
import { type HttpClient, type Served, serve } from './support/http-client.js'

const redis = useRedis()

/** `store` with its `set` held at `gate` while one is armed; `sets` counts the sets that completed. */
function gatedStore(store: CacheStore) {
  const held = { gate: undefined as Gate | undefined, sets: 0 }
  const wrapped = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (name !== 'set' || typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        await held.gate?.wait()
        await value.apply(target, args)
        held.sets++
      }
    },
  })
  return { store: wrapped, held }
}

const stores: [string, () => CacheStore][] = [
  ['the memory store', () => memoryStore()],
  ['Redis', () => redisStore({ client: redis.client })],
]

describe.each(stores)('%s: a miss is sent, then stored', { timeout: 10_000 }, (_name, makeStore) => {
  let served: Served | undefined
  let http: HttpClient
  let cache: CacheManager
  let held: ReturnType<typeof gatedStore>['held']
  let version = 0
  let handled = 0
  /** Item prices: `GET /items` shows items 1-3, `PATCH /items/:id` changes one. */
  const prices = new Map<number, number>()

  beforeAll(async () => {
    const gated = gatedStore(makeStore())
    held = gated.held
    cache = new CacheManager({
      store: gated.store,
      prefix: `${redis.prefix}send-then-store`,
      consistency: 'strict',
      // Longer than a test may run: a response held until its store call gave up would fail it.
      timeout: '1m',
    })
    const app = express()
    app.use(express.json())
    const items = () => [1, 2, 3].map((id) => ({ id, price: prices.get(id) }))
    app.get('/tagged', cacheResponse(cache, { ttl: '5m', public: true, tags: ['things'] }), (_req, res) => {
      handled++
      res.json({ version })
    })
    app.post('/tagged', invalidates(cache, ['things']), (_req, res) => {
      version++
      res.status(201).json({ version })
    })
    const rows = {
      resource: 'items',
      ids: (body: unknown) => (body as { results: { id: number }[] }).results.map((r) => r.id),
      list: true,
    }
    app.get('/items', cacheResponse(cache, { ttl: '5m', public: true, rows }), (_req, res) => {
      res.json({ results: items() })
    })
    app.patch(
      '/items/:id',
      invalidates(cache, (req) => ({ rows: [{ resource: 'items', ids: [Number(req.params.id)] }] })),
      (req, res) => {
        prices.set(Number(req.params.id), req.body.price)
        res.json({ id: Number(req.params.id) })
      },
    )
    served = await serve(app)
    http = served.http
  })

  afterAll(async () => {
    await served?.close()
    await cache?.close()
  })

  beforeEach(async () => {
    held.gate = undefined
    held.sets = 0
    for (const id of [1, 2, 3]) prices.set(id, id * 10)
    await cache.invalidatePattern('*')
  })

  /**
   * GETs `path` (a miss) with the store's `set` held; resolves once the client has its answer and
   * the set waits on the gate.
   */
  async function missWhileStoreHeld(path: string) {
    const gate = new Gate()
    held.gate = gate
    const first = await http.get(path)
    expect(first.header('x-cache')).toBe('MISS')
    await gate.waiting
    return { gate, first, body: JSON.parse(String(first.body)) }
  }

  /** Opens the gate and waits until the `n` sets it held have completed. */
  async function storeNow(gate: Gate, n = 1): Promise<void> {
    const sets = held.sets
    held.gate = undefined
    gate.release()
    while (held.sets < sets + n) await new Promise((r) => setImmediate(r))
  }

  it('the client has its response while the entry is still being stored', async () => {
    // With the store held open, the response arrives all the same.
    const { gate } = await missWhileStoreHeld('/tagged')
    expect(held.sets).toBe(0)
    await storeNow(gate)
    expect((await http.get('/tagged')).header('x-cache')).toBe('HIT')
  })

  it('a write between the response and its store call leaves the entry invalid', async () => {
    const { gate, body } = await missWhileStoreHeld('/tagged')
    const v0 = body.version
    // The client writes once it has read; the stale read's entry is stored only after that.
    const wrote = await http.send('POST', '/tagged')
    expect(wrote.status).toBe(201)
    await storeNow(gate)
    const after = await http.get('/tagged')
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body)).version).toBe(v0 + 1)
  })

  it('strict: a request that comes while the entry is being stored follows the flight', async () => {
    const before = handled
    const { gate, first } = await missWhileStoreHeld('/tagged')
    const second = await http.get('/tagged')
    expect(second.header('x-cache')).toBe('HIT')
    expect(String(second.body)).toBe(String(first.body))
    expect(handled).toBe(before + 1)
    await storeNow(gate)
  })

  it('strict: unless a write came in between: it reads the versions that write left, and misses', async () => {
    const { gate, body } = await missWhileStoreHeld('/tagged')
    const v0 = body.version
    await http.send('POST', '/tagged')
    const second = await http.get('/tagged')
    expect(second.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(second.body)).version).toBe(v0 + 1)
    await storeNow(gate, 2)
    expect(JSON.parse(String((await http.get('/tagged')).body)).version).toBe(v0 + 1)
  })

  it('rows: a write to a row the page shows, between the response and its store call, leaves it invalid', async () => {
    const { gate, body } = await missWhileStoreHeld('/items')
    expect(body.results[1].price).toBe(20)
    const wrote = await http.send('PATCH', '/items/2', { 'content-type': 'application/json' }, '{"price":25}')
    expect(wrote.status).toBe(200)
    await storeNow(gate)
    const after = await http.get('/items')
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body)).results[1].price).toBe(25)
  })
})
