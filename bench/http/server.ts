// The benchmark's server process: one Express 5 app per variant, each on its own port, all serving
// the same ~15 KB page. Prints `{ "<variant>": port, … }` on stdout once listening. Spawned by index.ts.
import type { AddressInfo } from 'node:net'
import apicache from 'apicache'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import express, { type Request, type RequestHandler } from 'express'
import { Redis } from 'ioredis'
import knex from 'knex'
import { cacheResponse } from '../../packages/cache-kit/src/express/index.ts'
import { CacheManager, memoryStore } from '../../packages/cache-kit/src/index.ts'
import { redisStore } from '../../packages/cache-kit/src/redis/index.ts'
import { productsPage } from './page.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `hpbench-http:${process.pid}`
const page = productsPage()
const buffer = Buffer.from(JSON.stringify(page))
const redis = new Redis(url, { maxRetriesPerRequest: 1 })
// The same Redis through a client with ioredis' auto-pipelining (commands of one tick in one write).
const pipelined = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: true })

// The uncached route: the same page read from MySQL on every request (a table of 100 products).
const db = knex({
  client: 'mysql2',
  connection: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  pool: { min: 2, max: 10 },
})
const table = `hp_bench_http_${process.pid}`
await db.schema.createTable(table, (t) => {
  t.increments('id')
  t.string('name')
  t.string('sku')
  t.integer('category_id')
  t.integer('supplier_id')
  t.decimal('sale_price', 10, 2)
  t.boolean('is_active')
  t.string('description')
  t.string('created_at')
  t.string('updated_at')
})
const rows = productsPage().results.map(({ id: _id, ...row }) => row)
await db(table).insert(
  [...rows, ...rows].map((row, i) => ({ ...row, sku: `SKU-${String(i + 1).padStart(6, '0')}` })),
)

const scope = (req: Request) => /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1]
const policy = { ttl: '5m', scope, tags: ['products'], query: ['page', 'page_size'] } as const
const handler: RequestHandler = (_req, res) => {
  res.json(page)
}

function app(...route: RequestHandler[]) {
  const a = express()
  a.get('/api/products', ...route)
  return a
}

const onRedis = new CacheManager({
  store: redisStore({ client: redis }),
  prefix: `${prefix}:r`,
  timeout: '1s',
})
const onRedisPipelined = new CacheManager({
  store: redisStore({ client: pipelined }),
  prefix: `${prefix}:rp`,
  timeout: '1s',
})
const onRedisL1 = new CacheManager({
  store: redisStore({ client: redis }),
  prefix: `${prefix}:l1`,
  timeout: '1s',
  l1: { maxEntries: 1000 },
  bus: false,
})
const onMemory = new CacheManager({ store: memoryStore(), prefix: `${prefix}:m` })
const bento = new BentoCache({ default: 'mem', stores: { mem: bentostore().useL1Layer(memoryDriver({})) } })
const api = apicache.newInstance({ defaultDuration: '5 minutes' })

const variants: Record<string, express.Express> = {
  'ceiling res.send': app((_req, res) => {
    res.type('json').send(buffer)
  }),
  'ceiling res.end': app((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': buffer.byteLength })
    res.end(buffer)
  }),
  'uncached MySQL': app(async (_req, res) => {
    const rows = await db(table).select('*').orderBy('id').limit(50).offset(50)
    res.json({ ...page, results: rows })
  }),
  'hotpath redis': app(cacheResponse(onRedis, policy), handler),
  'hotpath redis, auto-pipelining': app(cacheResponse(onRedisPipelined, policy), handler),
  'hotpath redis+l1': app(cacheResponse(onRedisL1, policy), handler),
  'hotpath memory': app(cacheResponse(onMemory, policy), handler),
  'apicache memory': app(api.middleware('5 minutes'), handler),
  'bentocache getOrSet': app(async (req, res) => {
    const key = `products:${scope(req)}:${String(req.query.page ?? '')}`
    res.json(await bento.getOrSet({ key, ttl: '5m', factory: () => page }))
  }),
}

// Control port: the server's own CPU time, so the table can show CPU per request independently of
// the load generator (on a 2-core machine autocannon's core saturates before the server's does).
const control = express()
control.get('/cpu', (_req, res) => {
  const u = process.cpuUsage()
  res.json({ micros: u.user + u.system })
})
variants._control = control

const ports: Record<string, number> = {}
for (const [name, a] of Object.entries(variants)) {
  const s = a.listen(0, '127.0.0.1')
  await new Promise((r) => s.once('listening', r))
  ports[name] = (s.address() as AddressInfo).port
}
process.stdout.write(`${JSON.stringify(ports)}\n`)

async function cleanup() {
  for (const c of [onRedis, onRedisPipelined, onRedisL1]) await c.invalidatePattern('*').catch(() => {})
  await db.schema.dropTableIfExists(table).catch(() => {})
  await db.destroy()
  redis.disconnect()
  pipelined.disconnect()
  process.exit(0)
}
process.on('SIGTERM', cleanup)
process.on('SIGINT', cleanup)
