// `npm run build && node --import tsx bench/http/miss.ts`: what a cache miss costs the server
// against the same request uncached, for `cacheResponse` on the built package (memory store; Redis
// too with REDIS_URL). The handler sends the benchmark page (50 products, ~15 KB) from memory, so
// the difference between the rows is the cache's own work. A client in a child process sends the
// requests one after another (gzip accepted, as browsers do); the server reads its own CPU time
// (`process.cpuUsage`) around each variant's run. Every miss has a key of its own (a query
// parameter in the key), so no write is needed to make it miss. Variants alternate over the
// rounds; each keeps its best. Prints server CPU µs per request and the ratio to the uncached one.
// Stores: memory, Redis under strict consistency with an L1 (as the store API runs it), Redis
// under eventual consistency without one; and per store the floor, a few lines that are not
// cache-kit (one read, gzip, one write), for what any cache with that store pays.
import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse } from '@hotpath/cache-kit/express'
import { redisStore } from '@hotpath/cache-kit/redis'
import express, { type RequestHandler } from 'express'
import { Redis } from 'ioredis'
import { productsPage } from './page.ts'

const N = Number(process.env.BENCH_REQUESTS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const page = productsPage()
const handler: RequestHandler = (_req, res) => {
  res.json(page)
}
const rows = [
  {
    resource: 'products',
    ids: (body: unknown) => (body as typeof page).results.map((r) => r.id),
    columns: ['created_at'],
    list: true,
  },
  {
    resource: 'categories>products',
    ids: (body: unknown) => (body as typeof page).results.map((r) => r.category_id),
  },
]
const query = ['page', 'v']
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined
const prefix = `bench-miss-${process.pid}`
const caches: CacheManager[] = []
/** `redis`: strict consistency with an L1, as the store API runs it; `redis-eventual`: neither. */
type Kind = 'memory' | 'redis' | 'redis-eventual'
function manager(kind: Kind): CacheManager {
  const c =
    kind === 'memory'
      ? new CacheManager({ store: memoryStore(), prefix })
      : kind === 'redis-eventual'
        ? new CacheManager({ store: redisStore({ client: redis as Redis }), prefix: `${prefix}e` })
        : new CacheManager({
            store: redisStore({ client: redis as Redis }),
            prefix,
            consistency: 'strict',
            l1: { maxEntries: 10_000 },
          })
  caches.push(c)
  return c
}

const app = express()
app.set('etag', false)
const variants: Record<string, { path: (i: number) => string; mw?: RequestHandler }> = {
  uncached: { path: () => '/uncached?page=1' },
}
// Per store: a policy with the resource tag only, and one that also names its rows (and the floor
// below); a hit reads one URL again and again, a miss a new URL each time.
for (const kind of redis ? (['memory', 'redis', 'redis-eventual'] as const) : (['memory'] as const)) {
  const cache = manager(kind)
  const policies = {
    tags: cacheResponse(cache, { ttl: '5m', public: true, tags: ['products'], query }),
    rows: cacheResponse(cache, { ttl: '5m', public: true, tags: ['products'], rows, query }),
  }
  for (const [policy, mw] of Object.entries(policies)) {
    variants[`${kind} hit, ${policy}`] = { path: () => `/${kind}-${policy}?page=1`, mw }
    variants[`${kind} miss, ${policy}`] = { path: (i) => `/${kind}-${policy}?page=1&v=${i}`, mw }
  }
}
// The floor (not cache-kit): the least any response cache with a store does on a miss. One read
// that misses, the handler's body gzipped and sent, one write; no tags, no consistency, no
// single-flight, no headers kept. A hit is that one read and the stored bytes sent.
function floor(kind: 'memory' | 'redis'): RequestHandler {
  const map = new Map<string, Buffer>()
  const get = (key: string) => (kind === 'redis' ? (redis as Redis).getBuffer(key) : map.get(key))
  const set = (key: string, value: Buffer) =>
    kind === 'redis' ? (redis as Redis).set(key, value, 'PX', 300_000) : map.set(key, value)
  return async (req, res, next) => {
    const key = `${prefix}:floor:${req.originalUrl}`
    const stored = await get(key)
    const send = (gz: Buffer) =>
      res
        .set({
          'content-type': 'application/json; charset=utf-8',
          'content-encoding': 'gzip',
          'content-length': String(gz.length),
        })
        .end(gz)
    if (stored) return send(stored)
    const end = res.end
    res.end = function floorEnd(this: typeof res, chunk: unknown) {
      res.end = end
      const gz = gzipSync(chunk as Buffer, { level: 1 })
      send(gz)
      void set(key, gz)
      return this
    } as typeof res.end
    next()
  }
}
for (const kind of redis ? (['memory', 'redis'] as const) : (['memory'] as const)) {
  const mw = floor(kind)
  variants[`${kind} hit, floor`] = { path: () => `/${kind}-floor?page=1`, mw }
  variants[`${kind} miss, floor`] = { path: (i) => `/${kind}-floor?page=1&v=${i}`, mw }
}
const routes = new Set<string>()
for (const v of Object.values(variants)) {
  const route = new URL(v.path(0), 'http://x').pathname
  if (routes.has(route)) continue
  routes.add(route)
  if (v.mw) app.get(route, v.mw, handler)
  else app.get(route, handler)
}
const server = app.listen(0, '127.0.0.1')
await new Promise((r) => server.once('listening', r))
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// The client: reads the paths to request from stdin, one run per line, answers "done" per run.
const CLIENT = `
const rl = require('node:readline').createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const paths = JSON.parse(line)
  for (const p of paths) await (await fetch(p, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer()
  process.stdout.write('done\\n')
})`
const client = spawn(process.execPath, ['-e', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] })
let waiting: (() => void) | undefined
client.stdout.on('data', () => waiting?.())
let serial = 0
const faults: Record<string, number> = {}
const sys: Record<string, number> = {}

async function run(name: string): Promise<number> {
  const v = variants[name] as (typeof variants)[string]
  const paths = Array.from({ length: N }, () => origin + v.path(++serial))
  const done = new Promise<void>((r) => {
    waiting = r
  })
  const r0 = process.resourceUsage()
  client.stdin.write(`${JSON.stringify(paths)}\n`)
  await done
  const r1 = process.resourceUsage()
  faults[name] = (r1.minorPageFault - r0.minorPageFault) / N
  sys[name] = (r1.systemCPUTime - r0.systemCPUTime) / N
  return (r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / N
}

const only = process.env.BENCH_ONLY
if (only)
  for (const name of Object.keys(variants))
    if (name !== 'uncached' && !name.includes(only)) delete variants[name]
for (const name of Object.keys(variants)) await run(name) // warm up every path
const best: Record<string, number> = {}
for (let round = 0; round < ROUNDS; round++) {
  const names = round % 2 ? Object.keys(variants).reverse() : Object.keys(variants)
  for (const name of names) best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, await run(name))
}
const base = best.uncached as number
console.log(`server CPU µs per request, best of ${ROUNDS} rounds of ${N} sequential requests:`)
for (const [name, us] of Object.entries(best))
  console.log(
    `${name.padEnd(26)} ${us.toFixed(0).padStart(6)} µs   ${(us / base).toFixed(2)}× uncached, ${faults[name]?.toFixed(1)} page faults/request, sys ${sys[name]?.toFixed(0)} µs`,
  )
client.kill()
server.close()
for (const c of caches) await c.close?.()
if (redis) {
  const keys = await redis.keys(`${prefix}*`)
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000))
  redis.disconnect()
}
process.exit(0)
