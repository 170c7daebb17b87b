import { CacheManager, type CacheStore, type Consistency } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { withHeldPublish } from '../support/held-bus.js'
import { Gate } from './support/app.js'
import { type Served, serve } from './support/http-client.js'

const redis = useRedis()
let n = 0
/** The close of each pair of instances a test started, run after it whether it passed or not. */
const opened: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of opened.splice(0)) await close()
})

/** The shared database both instances read: a version a write moves on. */
interface Db {
  version: number
  /** The next GET handler waits here (after reading the database) until the test opens it. */
  hold: Gate | undefined
}

/**
 * Two Express apps (two instances of one service), each with its own CacheManager (L1 + bus) on
 * one Redis. Instance A's bus messages are held until the end: B has not heard of A's writes.
 */
async function twoInstances(consistency: Consistency) {
  const prefix = `${redis.prefix}h${++n}`
  const db: Db = { version: 0, hold: undefined }
  const held = new Gate()
  const servers: Served[] = []
  const caches: CacheManager[] = []
  const close = async () => {
    held.release()
    await Promise.all(servers.map((s) => s.close()))
    await Promise.all(caches.map((c) => c.close()))
  }
  opened.push(close)
  const instance = async (holdBus: boolean) => {
    const client = redis.connect()
    await client.ping()
    const base = redisStore({ client })
    const store: CacheStore = holdBus ? withHeldPublish(base, () => held.wait()) : base
    const cache = new CacheManager({ store, prefix, timeout: '2s', l1: {}, consistency })
    await cache.ready()
    const app = express()
    app.get(
      '/products',
      cacheResponse(cache, { ttl: '5m', public: true, tags: ['products'] }),
      async (_req, res) => {
        const version = db.version
        const gate = db.hold
        db.hold = undefined
        await gate?.wait()
        res.json({ version })
      },
    )
    app.post('/products', invalidates(cache, ['products']), (_req, res) => {
      db.version++
      res.status(201).json({ version: db.version })
    })
    caches.push(cache)
    const served = await serve(app)
    servers.push(served)
    return served.http
  }
  const a = await instance(true)
  const b = await instance(false)
  return { a, b, db, caches }
}

const version = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { version: number }).version

describe('cacheResponse, consistency strict, two instances on one Redis', () => {
  it("after a write answered on A, B's next read is fresh although A's bus message has not arrived", async () => {
    const { a, b } = await twoInstances('strict')
    expect((await b.get('/products')).header('x-cache')).toBe('MISS')
    const hit = await b.get('/products')
    expect([hit.header('x-cache'), version(hit)]).toEqual(['HIT', 0])
    expect((await a.send('POST', '/products')).status).toBe(201)
    const after = await b.get('/products')
    expect([after.header('x-cache'), version(after)]).toEqual(['MISS', 1])
    const again = await b.get('/products')
    expect([again.header('x-cache'), version(again)]).toEqual(['HIT', 1])
  })

  it('a read on B started after the write does not follow a B request whose handler began before it', async () => {
    const { a, b, db } = await twoInstances('strict')
    const gate = new Gate()
    db.hold = gate
    const early = b.get('/products')
    await gate.waiting
    expect((await a.send('POST', '/products')).status).toBe(201)
    const late = b.get('/products')
    const lateRes = await late
    gate.release()
    const earlyRes = await early
    expect(version(earlyRes)).toBe(0)
    expect([lateRes.header('x-cache'), version(lateRes)]).toEqual(['MISS', 1])
    // The early response was stored after the write, stamped with the old version: never served.
    const next = await b.get('/products')
    expect(version(next)).toBe(1)
    expect(version(await a.get('/products'))).toBe(1)
  })

  it('a response in flight is still stored after an unrelated tag invalidation, not after a pattern one', async () => {
    const { b, db, caches } = await twoInstances('strict')
    const cacheB = caches[1] as CacheManager
    let gate = new Gate()
    db.hold = gate
    const early = b.get('/products')
    await gate.waiting
    await cacheB.invalidateTags(['unrelated'])
    gate.release()
    expect((await early).header('x-cache')).toBe('MISS')
    const hit = await b.get('/products')
    expect([hit.header('x-cache'), version(hit)]).toEqual(['HIT', 0])
    // A pattern invalidation is not covered by the tag snapshot: the response in flight is dropped.
    await cacheB.invalidateTags(['products'])
    gate = new Gate()
    db.hold = gate
    const second = b.get('/products')
    await gate.waiting
    await cacheB.invalidatePattern('res:*')
    gate.release()
    expect((await second).header('x-cache')).toBe('MISS')
    expect((await b.get('/products')).header('x-cache')).toBe('MISS')
  })

  it('eventual (the default): B still answers from its L1 until the bus message comes', async () => {
    const { a, b } = await twoInstances('eventual')
    await b.get('/products')
    await a.send('POST', '/products')
    const stale = await b.get('/products')
    expect([stale.header('x-cache'), version(stale)]).toEqual(['HIT', 0])
  })
})
