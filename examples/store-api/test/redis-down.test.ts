import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useDatabase } from '@hotpath/test-services'
import { Redis } from 'ioredis'
import knexFactory, { type Knex } from 'knex'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp } from '../src/app.js'
import { migrate } from '../src/db/migrate.js'
import { call, client, newCompany } from './support/client.js'
import { ADMIN_TOKEN } from './support/stack.js'

// Redis unreachable (a closed loopback port) from the start: the API must answer from the database.
const space = useDatabase('sqlite')
let db: Knex
let redis: Redis
let cache: CacheManager
let url = ''
let close = async () => {}

beforeAll(async () => {
  db = knexFactory(space.config())
  await migrate(db)
  redis = new Redis({
    host: '127.0.0.1',
    port: 1,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  })
  redis.on('error', () => {})
  redis.connect().catch(() => {})
  cache = new CacheManager({ store: redisStore({ client: redis }), prefix: 'down', consistency: 'strict' })
  cache.on('error', () => {})
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await new Promise<void>((r) => server.once('listening', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  server.on(
    'request',
    createApp(
      {
        db,
        cache,
        adminToken: ADMIN_TOKEN,
        cursorSecret: 'down-cursor-secret-0123456789',
        registry: new Registry(),
      },
      { publicUrl: url },
    ),
  )
  close = () => new Promise((r) => server.close(() => r()))
})
afterAll(async () => {
  await close()
  await cache.close()
  redis.disconnect()
  await db.destroy()
})

it('reads bypass the cache, writes succeed, /ready stays 200 and reports the cache down', async () => {
  const company = await newCompany(() => url, 'Downco')
  const api = client(() => url, company.api.key)
  const created = await api.post('/api/products', { name: 'Still works', sku: 'SW-1', sale_price: '2.50' })
  expect(created.status).toBe(201)
  for (let i = 0; i < 3; i++) {
    const list = await api.get('/api/products')
    expect(list.status).toBe(200)
    expect(list.headers.get('x-cache')).toBe('BYPASS')
    expect((list.body as { count: number }).count).toBe(1)
  }
  expect(
    (await api.patch(`/api/products/${(created.body as { id: number }).id}`, { sale_price: '3.00' })).status,
  ).toBe(200)
  expect((await api.get(`/api/products/${(created.body as { id: number }).id}`)).body).toMatchObject({
    sale_price: '3.00',
  })
  const ready = await call(url, '/ready')
  expect(ready.status).toBe(200)
  expect(ready.body).toEqual({ status: 'ready', database: 'up', cache: 'down' })
})
