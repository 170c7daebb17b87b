// A decorated write method that answers inside its transaction: the invalidation waits for the
// method's promise (the commit), and a method that rejects after answering invalidates nothing.
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import express, { type Request, type Response } from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Gate } from './support/app.js'
import { type HttpClient, type Served, serve } from './support/http-client.js'

type Method = (req: Request, res: Response) => Promise<void>

/** Applies `cacheResponse` as a TC39 method decorator, the way a class body would. */
function decorate(policy: ReturnType<typeof cacheResponse>, method: Method): Method {
  const context = { kind: 'method', name: 'm', static: false, private: false } as ClassMethodDecoratorContext
  return (policy as unknown as (m: Method, c: ClassMethodDecoratorContext) => Method)(method, context)
}

describe('a decorated write that answers inside its transaction', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  let committed = 0
  let commit: Gate
  const policy = () =>
    cacheResponse(cache, {
      ttl: '1m',
      public: true,
      tags: ['items'],
      invalidates: ['items'],
    })

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-write-hold' })
    const app = express()
    const read = decorate(policy(), async (_req, res) => {
      res.json({ committed })
    })
    // Answers, then commits (a handler responding inside `db.transaction(...)`).
    const write = decorate(policy(), async (_req, res) => {
      res.status(201).json({ ok: true })
      await commit.wait()
      committed++
    })
    // Answers, then its transaction fails and rolls back.
    const rolledBack = decorate(policy(), async (_req, res) => {
      res.status(201).json({ ok: true })
      await commit.wait()
      throw new Error('commit failed')
    })
    app.get('/items', (req, res) => read(req, res))
    app.post('/items', (req, res) => write(req, res))
    app.post('/items/rollback', (req, res) => rolledBack(req, res).catch(() => {}))
    served = await serve(app)
    http = served.http
  })
  beforeEach(async () => {
    commit = new Gate()
    await cache.invalidateTags(['items'])
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('invalidates after the commit, so a read between answer and commit cannot outlive it', async () => {
    await http.get('/items')
    let answered = false
    const post = http.send('POST', '/items').then((r) => {
      answered = true
      return r
    })
    await commit.waiting
    // Answered but not committed: a read now still sees (and may store) the old data.
    const between = await http.get('/items')
    expect(JSON.parse(String(between.body))).toEqual({ committed: 0 })
    expect(answered).toBe(false)
    commit.release()
    expect((await post).status).toBe(201)
    const after = await http.get('/items')
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body))).toEqual({ committed: 1 })
  })

  it('invalidates nothing when the method rejects after answering (rolled back)', async () => {
    const before = await http.get('/items')
    const post = http.send('POST', '/items/rollback').catch(() => undefined)
    await commit.waiting
    commit.release()
    await post
    const after = await http.get('/items')
    expect(after.header('x-cache')).toBe('HIT')
    expect(after.body.equals(before.body)).toBe(true)
  })
})
