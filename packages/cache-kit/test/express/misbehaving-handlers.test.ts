// Handlers that answer twice, throw after answering, or wait on their own response, while the
// layer holds that response (a miss being stored, a write being invalidated). Nothing may crash
// the process (vitest fails the run on an uncaught error), hang, or send a body that does not match
// its Content-Length; a second answer gets Node's own ERR_HTTP_HEADERS_SENT.
import { once } from 'node:events'
import type { Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import express, { type Request, type Response } from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { Gate } from './support/app.js'
import { type HttpClient, type Served, serve } from './support/http-client.js'

type Method = (req: Request, res: Response) => Promise<void>

/** Applies `cacheResponse` / `invalidates` as a TC39 method decorator. */
function decorate(policy: ReturnType<typeof cacheResponse>, method: Method): Method {
  const context = { kind: 'method', name: 'm', static: false, private: false } as ClassMethodDecoratorContext
  return (policy as unknown as (m: Method, c: ClassMethodDecoratorContext) => Method)(method, context)
}

/** One raw HTTP/1.1 exchange on its own connection (`Connection: close`): every byte until the server closes. */
function raw(server: Server, method: string, path: string): Promise<string> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(out))
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  })
}

/** A raw response's body, checked against its Content-Length when it has one. */
function bodyOf(response: string): string {
  const [head = '', body = ''] = response.split('\r\n\r\n', 2)
  const length = /content-length: (\d+)/i.exec(head)?.[1]
  if (length !== undefined) expect(Buffer.byteLength(body, 'latin1')).toBe(Number(length))
  return body
}

describe('handlers that misbehave while the layer holds their response', () => {
  let cache: CacheManager
  let served: Served
  let http: HttpClient
  const invalidations: string[] = []
  const secondAnswers: unknown[] = []
  const callbacks: string[] = []
  let slowValue = 'old'
  let slowCommit = new Gate()

  beforeAll(async () => {
    cache = new CacheManager({ store: memoryStore(), prefix: 'http-misbehaving' })
    cache.on('invalidate', (e) => invalidations.push(e.kind))
    const app = express()
    const writes = invalidates(cache, ['items'])
    const read = cacheResponse(cache, { ttl: '1m', public: true, tags: ['items'] })
    const policy = () =>
      cacheResponse(cache, { ttl: '1m', public: true, tags: ['items'], invalidates: ['items'] })

    app.post('/write/throws', writes, async (_req, res) => {
      res.status(201).json({ ok: true })
      throw new Error('after the answer')
    })
    app.post('/write/twice', writes, (_req, res) => {
      res.status(201).json({ ok: true })
      try {
        res.json({ second: 'a much longer body than the first one' })
      } catch (err) {
        secondAnswers.push(err)
      }
    })
    // A decorated method used directly as the Express handler, rejecting after it answered.
    app.post(
      '/write/rejects',
      decorate(policy(), async (_req, res) => {
        res.status(201).json({ ok: true })
        throw new Error('rolled back')
      }),
    )
    app.post(
      '/write/waits-for-finish',
      decorate(policy(), async (_req, res) => {
        res.status(201).json({ ok: true })
        await once(res, 'finish')
      }),
    )
    app.post(
      '/write/streams',
      decorate(policy(), async (_req, res) => {
        res.status(201).type('text/csv')
        await pipeline(Readable.from(['a,b\n', 'c,d\n']), res)
      }),
    )
    app.post('/write/status-after', writes, (_req, res) => {
      res.status(201).json({ created: 1 })
      res.status(500)
    })
    app.post('/write/end-callback', writes, (_req, res) => {
      res.status(201).send('hello')
      res.end(() => {
        callbacks.push('write')
      })
    })
    app.post('/write/bad-chunk', writes, (_req, res) => {
      res.status(200)
      res.write(123 as unknown as string)
      res.end()
    })
    // `invalidates` twice on one request: app-wide for /nested, and on the route.
    app.use('/nested', invalidates(cache, ['outer']))
    app.post('/nested/x', invalidates(cache, ['inner']), (_req, res) => {
      res.status(201).json({ ok: true })
    })
    // Commits after the bounded wait: the entry read in between must not outlive the commit.
    app.get('/slow/value', read, (_req, res) => {
      res.json({ value: slowValue })
    })
    app.post(
      '/slow/write',
      decorate(policy(), async (_req, res) => {
        res.status(201).json({ ok: true })
        await slowCommit.wait()
        slowValue = 'new'
      }),
    )
    // A response-time-like wrapper installed after the cache: kept on a miss.
    app.get(
      '/timed',
      read,
      (_req, res, next) => {
        const writeHead = res.writeHead
        res.writeHead = function (this: Response, ...args: unknown[]) {
          this.setHeader('x-response-time', '1ms')
          return (writeHead as (...a: unknown[]) => Response).apply(this, args)
        } as Response['writeHead']
        next()
      },
      (_req, res) => {
        res.json({ timed: true })
      },
    )
    // A compression-like wrapper before the cache: encodes whatever has a Content-Type at writeHead.
    app.get(
      '/encoded',
      (_req, res, next) => {
        const writeHead = res.writeHead
        res.writeHead = function (this: Response, ...args: unknown[]) {
          if (this.getHeader('content-type') !== undefined) this.setHeader('content-encoding', 'x-wrapped')
          return (writeHead as (...a: unknown[]) => Response).apply(this, args)
        } as Response['writeHead']
        next()
      },
      read,
      (_req, res) => {
        res.json({ encoded: false })
      },
    )
    // cacheResponse twice on one request: app-wide for /twice-cached, and on the route.
    app.use('/twice-cached', read)
    app.get('/twice-cached/x', read, (_req, res) => {
      res.json({ twice: true })
    })
    app.get('/read/end-callback', read, (_req, res) => {
      res.send('hello')
      res.end(() => {
        callbacks.push('read')
      })
    })
    app.use('/all', policy(), (req, res) => {
      res.json({ method: req.method })
    })

    app.get('/read/throws', read, async (_req, res) => {
      res.json({ ok: 1 })
      throw new Error('after the answer')
    })
    app.get('/read/end-twice', read, (_req, res) => {
      res.send('hello world')
      res.end()
    })
    app.get('/read/send-twice', read, (_req, res) => {
      res.send('first')
      try {
        res.send('second, longer')
      } catch (err) {
        secondAnswers.push(err)
      }
    })
    app.get('/alive', (_req, res) => {
      res.send('yes')
    })
    served = await serve(app)
    http = served.http
  })
  beforeEach(async () => {
    await cache.invalidatePattern('*')
    invalidations.length = 0
    secondAnswers.length = 0
    callbacks.length = 0
  })
  afterAll(async () => {
    await served.close()
    await cache.close()
  })

  it('a write that throws after answering: its answer goes out whole, then the connection closes', async () => {
    const out = await raw(served.server, 'POST', '/write/throws')
    expect(out).toMatch(/^HTTP\/1\.1 201/)
    expect(JSON.parse(bodyOf(out))).toEqual({ ok: true })
    expect(await (await http.get('/alive')).body.toString()).toBe('yes')
  })

  it('a write that answers twice: the first answer goes out, the second gets ERR_HTTP_HEADERS_SENT', async () => {
    const out = await raw(served.server, 'POST', '/write/twice')
    expect(JSON.parse(bodyOf(out))).toEqual({ ok: true })
    expect(secondAnswers).toHaveLength(1)
    expect((secondAnswers[0] as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT')
    expect(invalidations).toEqual(['tags'])
  })

  it('a decorated write that rejects after answering: no crash, nothing invalidated', async () => {
    await raw(served.server, 'POST', '/write/rejects')
    expect(invalidations).toEqual([])
    expect(await (await http.get('/alive')).body.toString()).toBe('yes')
  })

  it('a decorated write that waits for its own response to finish is answered, and invalidates again once done', async () => {
    const r = await http.send('POST', '/write/waits-for-finish')
    expect(r.status).toBe(201)
    expect(invalidations[0]).toBe('tags')
    await vi.waitFor(() => expect(invalidations).toEqual(['tags', 'tags']))
  })

  it('a decorated write that streams its response is answered, and invalidates again once done', async () => {
    const r = await http.send('POST', '/write/streams')
    expect(r.status).toBe(201)
    expect(r.body.toString()).toBe('a,b\nc,d\n')
    await vi.waitFor(() => expect(invalidations).toEqual(['tags', 'tags']))
  })

  it('a commit later than the bounded wait still leaves no entry older than it', async () => {
    slowValue = 'old'
    slowCommit = new Gate()
    expect(JSON.parse(String((await http.get('/slow/value')).body))).toEqual({ value: 'old' })
    // Answered after the bounded wait, before the commit: a read now stores the old value again.
    expect((await http.send('POST', '/slow/write')).status).toBe(201)
    expect(JSON.parse(String((await http.get('/slow/value')).body))).toEqual({ value: 'old' })
    slowCommit.release()
    await vi.waitFor(async () => {
      const r = await http.get('/slow/value')
      expect(JSON.parse(String(r.body))).toEqual({ value: 'new' })
    })
  })

  it('the status of a held answer cannot change after it', async () => {
    const r = await http.send('POST', '/write/status-after')
    expect(r.status).toBe(201)
    expect(JSON.parse(String(r.body))).toEqual({ created: 1 })
  })

  it("a second end's callback still runs, on a write and on a read", async () => {
    expect((await http.send('POST', '/write/end-callback')).body.toString()).toBe('hello')
    expect((await http.get('/read/end-callback')).body.toString()).toBe('hello')
    await vi.waitFor(() => expect([...callbacks].sort()).toEqual(['read', 'write']))
  })

  it('a held write whose replay throws closes the connection instead of hanging', async () => {
    await raw(served.server, 'POST', '/write/bad-chunk')
    expect(await (await http.get('/alive')).body.toString()).toBe('yes')
  })

  it('two invalidates on one request nest: both invalidate, the answer goes out once', async () => {
    const r = await http.send('POST', '/nested/x')
    expect(r.status).toBe(201)
    expect(JSON.parse(String(r.body))).toEqual({ ok: true })
    expect(invalidations).toEqual(['tags', 'tags'])
  })

  it('a 304 from a miss carries no representation headers a wrapper before the cache could act on', async () => {
    const first = await http.get('/encoded', { 'accept-encoding': 'identity' })
    const etag = first.header('etag') as string
    await cache.invalidatePattern('*')
    const revalidated = await http.get('/encoded', { 'accept-encoding': 'identity', 'if-none-match': etag })
    expect(revalidated.header('x-cache')).toBe('MISS')
    expect(revalidated.status).toBe(304)
    expect(revalidated.header('content-type')).toBeUndefined()
    expect(revalidated.header('content-encoding')).toBeUndefined()
  })

  it('cacheResponse twice on one request: the outer one caches, the inner passes through', async () => {
    const miss = await http.get('/twice-cached/x')
    expect(miss.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(miss.body))).toEqual({ twice: true })
    const hit = await http.get('/twice-cached/x')
    expect(hit.header('x-cache')).toBe('HIT')
    expect(hit.body.equals(miss.body)).toBe(true)
  })

  it('keeps a writeHead wrapper a later middleware installed over the capture', async () => {
    const miss = await http.get('/timed')
    expect(miss.header('x-cache')).toBe('MISS')
    expect(miss.header('x-response-time')).toBe('1ms')
    expect(JSON.parse(String(miss.body))).toEqual({ timed: true })
    expect((await http.get('/timed')).header('x-cache')).toBe('HIT')
  })

  it('OPTIONS (and other non-writes) through a policy with invalidates invalidate nothing', async () => {
    expect((await http.send('OPTIONS', '/all')).status).toBe(200)
    expect(invalidations).toEqual([])
    expect((await http.send('DELETE', '/all')).status).toBe(200)
    expect(invalidations).toEqual(['tags'])
  })

  it('a read that throws after answering: its answer goes out whole, then the connection closes', async () => {
    const out = await raw(served.server, 'GET', '/read/throws')
    expect(out).toMatch(/^HTTP\/1\.1 200/)
    expect(JSON.parse(bodyOf(out))).toEqual({ ok: 1 })
    expect(await (await http.get('/alive')).body.toString()).toBe('yes')
  })

  it('a read that ends twice: the body goes out whole, miss and hit', async () => {
    const miss = await http.get('/read/end-twice')
    expect(miss.body.toString()).toBe('hello world')
    const hit = await http.get('/read/end-twice')
    expect(hit.header('x-cache')).toBe('HIT')
    expect(hit.body.toString()).toBe('hello world')
  })

  it('a read that sends twice: the first answer is sent and stored, the second gets ERR_HTTP_HEADERS_SENT', async () => {
    const miss = await http.get('/read/send-twice')
    expect(miss.body.toString()).toBe('first')
    expect((secondAnswers[0] as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT')
    const hit = await http.get('/read/send-twice')
    expect(hit.header('x-cache')).toBe('HIT')
    expect(hit.body.toString()).toBe('first')
  })
})
