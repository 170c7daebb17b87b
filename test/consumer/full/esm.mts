// A full user from ESM: express 5, knex 3 + mysql2, ioredis 5, the three packages, against real
// Redis and MySQL/MariaDB (REDIS_URL, MYSQL_URL; default: the local ports).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { CacheManager } from '@hotpath/cache-kit'
import { CacheResponseError, cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import { type NumberedPage, paginate, parsePageParams } from '@hotpath/paginate'
import { seedStore } from '@hotpath/schema'
import express from 'express'
import { Redis } from 'ioredis'
import knexFactory from 'knex'

const space = `hp_consumer_esm_${process.pid}`
const mysqlUrl = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306')
mysqlUrl.pathname = '/'
const admin = knexFactory({ client: 'mysql2', connection: mysqlUrl.href, pool: { min: 0, max: 1 } })
await admin.raw('create database ??', [space])
const dbUrl = new URL(mysqlUrl.href)
dbUrl.pathname = `/${space}`
const knex = knexFactory({ client: 'mysql2', connection: dbUrl.href, pool: { min: 0, max: 4 } })
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
})
const server = express()
  .listen(0)
  .on('error', (err) => {
    throw err
  })

try {
  const seeded = await seedStore(knex, { migrate: true, seed: 1, companies: 1, productsPerCompany: 30 })
  const companyId = seeded.companyIds[0]
  assert.equal(typeof companyId, 'number')
  if (redis.status !== 'ready') await once(redis, 'ready')
  const cache = new CacheManager({ store: redisStore({ client: redis }), prefix: space, ttl: '1m' })

  assert.throws(
    () => cacheResponse(cache, { public: true } as unknown as Parameters<typeof cacheResponse>[1]),
    (err: unknown) =>
      err instanceof CacheResponseError && err.code === 'invalid_option' && /`ttl`/.test(err.message),
  )

  let handlerRuns = 0
  const app = express()
  app.get(
    '/products',
    cacheResponse(cache, { ttl: '1m', public: true, tags: ['products'] }),
    async (req, res) => {
      handlerRuns++
      const params = parsePageParams(req.query, { ordering: { allowed: ['id'], default: ['id'] } })
      const page: NumberedPage = await paginate(knex('products').where('company_id', companyId), {
        strategy: 'optimized',
        params,
      })
      res.json(page.toJSON())
    },
  )
  app.post('/products', invalidates(cache, ['products']), (_req, res) => {
    res.status(201).json({ ok: true })
  })
  server.removeAllListeners('request').on('request', app)
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const first = await fetch(`${base}/products?page_size=10`)
  assert.equal(first.status, 200)
  assert.equal(first.headers.get('x-cache'), 'MISS')
  const body = (await first.json()) as { count: number; results: Array<{ id: number }> }
  assert.equal(body.count, 30)
  assert.equal(body.results.length, 10)
  const second = await fetch(`${base}/products?page_size=10`)
  assert.equal(second.headers.get('x-cache'), 'HIT')
  assert.deepEqual(await second.json(), body)
  assert.equal(handlerRuns, 1)
  assert.equal((await fetch(`${base}/products`, { method: 'POST' })).status, 201)
  const third = await fetch(`${base}/products?page_size=10`)
  assert.equal(third.headers.get('x-cache'), 'MISS')
  await third.arrayBuffer()
  assert.equal(handlerRuns, 2)
  await cache.close()
  console.log('full app, ESM: ok')
} finally {
  server.close()
  const keys = await redis.keys(`${space}*`).catch(() => [])
  if (keys.length > 0) await redis.unlink(...keys)
  redis.disconnect()
  await knex.destroy()
  await admin.raw('drop database if exists ??', [space])
  await admin.destroy()
}
