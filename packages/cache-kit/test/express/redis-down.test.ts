import type { AddressInfo } from 'node:net'
import { createServer, type Server, type Socket } from 'node:net'
import { CacheManager } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import express from 'express'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HttpClient, type Served, serve } from './support/http-client.js'

/** A closed port: listen on an ephemeral one, then close it. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

function appOn(cache: CacheManager, errors: unknown[]) {
  const app = express()
  let calls = 0
  const onError = (e: unknown) => errors.push(e)
  app.get('/p', cacheResponse(cache, { ttl: '5m', public: true, tags: ['p'], onError }), (_req, res) => {
    calls++
    res.json({ calls })
  })
  app.post('/p', invalidates(cache, ['p'], { onError }), (_req, res) => {
    res.status(201).json({ ok: true })
  })
  return app
}

describe.each([
  ['down (nothing listens)', 'closed'],
  ['hanging (accepts, never answers)', 'blackhole'],
] as const)('Redis %s', (_name, kind) => {
  let redis: Redis
  let cache: CacheManager | undefined
  let served: Served
  let http: HttpClient
  let blackhole: Server | undefined
  const sockets: Socket[] = []
  const errors: unknown[] = []

  beforeAll(async () => {
    let port: number
    if (kind === 'closed') port = await closedPort()
    else {
      blackhole = createServer((s) => sockets.push(s))
      await new Promise<void>((r) => blackhole?.listen(0, '127.0.0.1', r))
      port = (blackhole.address() as AddressInfo).port
    }
    redis = new Redis({
      host: '127.0.0.1',
      port,
      enableOfflineQueue: false,
      enableReadyCheck: kind === 'closed',
      // Otherwise the client waits for CLIENT SETINFO replies that a black hole never sends.
      disableClientInfo: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      retryStrategy: () => 200,
    })
    redis.on('error', () => {})
    if (kind === 'blackhole') await new Promise((r) => redis.once('ready', r))
    cache = new CacheManager({ store: redisStore({ client: redis }), prefix: 'down', timeout: '100ms' })
    served = await serve(appOn(cache, errors))
    http = served.http
  })
  afterAll(async () => {
    await served?.close()
    await cache?.close()
    redis.disconnect()
    for (const s of sockets) s.destroy()
    blackhole?.close()
  })

  it('runs the handler and answers 200 with X-Cache: BYPASS', async () => {
    const first = await http.get('/p')
    const second = await http.get('/p')
    expect([first.status, second.status]).toEqual([200, 200])
    expect([first.header('x-cache'), second.header('x-cache')]).toEqual(['BYPASS', 'BYPASS'])
    expect(JSON.parse(String(second.body))).toEqual({ calls: 2 })
    expect(errors.length).toBeGreaterThanOrEqual(2)
  })

  it('lets writes succeed', async () => {
    const w = await http.send('POST', '/p')
    expect(w.status).toBe(201)
  })
})
