// The connection under a response the layer holds (a miss being stored, a write being
// invalidated): a client that leaves, a stream that fails midway, a server that shuts down. No
// socket may stay open past the hold.
import { createServer, type Server } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { CacheManager, type CacheStore, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import express, { type NextFunction, type Request, type Response } from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Gate } from './support/app.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The memory store with a `set` that waits for `slowSet` to open (the store call a miss awaits). */
function slowStore(gate: () => Gate): CacheStore {
  const store = memoryStore()
  const set = store.set.bind(store)
  return {
    ...store,
    async set(...args) {
      await gate().wait()
      return set(...args)
    },
  }
}

describe('connections under a held response', () => {
  let server: Server
  let port: number
  const open = new Set<Socket>()
  let storing = new Gate()
  let invalidating = new Gate()
  let cache: CacheManager

  const connections = () => open.size
  function send(method: string, path: string): { socket: Socket; closed: Promise<string> } {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1')
    })
    socket.on('error', () => {})
    const closed = new Promise<string>((r) => socket.on('close', () => r(out)))
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`)
    return { socket, closed }
  }

  beforeAll(async () => {
    cache = new CacheManager({ store: slowStore(() => storing), prefix: 'http-held-conn' })
    const app = express()
    app.get('/slow-store', cacheResponse(cache, { ttl: '1m', public: true }), (_req, res) => {
      res.json({ ok: true })
    })
    app.post(
      '/fails-midway',
      invalidates(cache, async () => {
        await invalidating.wait()
        return ['t']
      }),
      (_req, res) => {
        res.status(200)
        res.write('partial')
        throw new Error('the stream failed')
      },
    )
    app.post(
      '/never-released',
      invalidates(cache, () => new Promise<string[]>(() => {})),
      (_req, res) => {
        res.status(201).json({ ok: true })
      },
    )
    app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err)
      res.status(500).json({ error: err.message })
    })
    server = createServer(app)
    server.on('connection', (s) => {
      open.add(s)
      s.on('close', () => open.delete(s))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    storing.release()
    invalidating.release()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await cache.close()
  })

  it('a client that leaves while its miss is being stored leaves no socket open', async () => {
    storing = new Gate()
    const { socket, closed } = send('GET', '/slow-store')
    await storing.waiting
    socket.destroy()
    await closed
    // Node ends its side and destroys the socket while the response is still held.
    await sleep(50)
    storing.release()
    await vi.waitFor(() => expect(connections()).toBe(0), { timeout: 3000 })
  })

  it('a write that fails midway while held: the connection closes, nothing hangs', async () => {
    invalidating = new Gate()
    const { closed } = send('POST', '/fails-midway')
    await invalidating.waiting
    // Express' error handler runs (and destroys the socket) while the invalidation is under way.
    await sleep(50)
    invalidating.release()
    const out = await closed
    expect(out).toMatch(/^HTTP\/1\.1 200/)
    await vi.waitFor(() => expect(connections()).toBe(0), { timeout: 3000 })
  })

  it('a hold that never ends does not pin its connection: a second destroy closes it', async () => {
    const { closed } = send('POST', '/never-released')
    await vi.waitFor(() => expect(connections()).toBe(1))
    server.closeAllConnections() // deferred: the response is held
    server.closeAllConnections() // a second destroy is not deferred
    await closed
    await vi.waitFor(() => expect(connections()).toBe(0), { timeout: 3000 })
  })
})
