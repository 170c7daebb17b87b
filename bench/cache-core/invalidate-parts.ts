// `node --import tsx bench/cache-core/invalidate-parts.ts` (after `npm run build`): where the time of
// cache-core's "invalidate tag + read" row goes, at concurrency 1 on both ioredis clients, against
// the real Redis. Parts: `invalidateTags` alone; the read that misses alone (a key's first read, by
// script, then a read again, by MGET); the whole operation both ways (cache-core's row is half
// each); bentocache's `deleteByTag` alone and with its read; and the floors, a bare ioredis `GET`
// and a bare `DEL` then `MGET` (two round trips, as the row needs). Per part: µs per operation,
// this process's CPU µs per operation, and Redis's commands per operation with their CPU µs
// (`INFO commandstats`: commands other clients send meanwhile show up there too). Best of the
// rounds; the parts interleave. Env: REDIS_URL, BENCH_ENTRIES (default 1000; cache-core fills
// 100000), BENCH_OPS (default 1000, at most 1000), BENCH_ROUNDS (default 3).

import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { Redis } from 'ioredis'
import { product, RECOMMENDED } from './fixtures.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const OPS = Number(process.env.BENCH_OPS ?? 1000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TAGGED = 1000
const ENTRIES = Math.max(TAGGED, Number(process.env.BENCH_ENTRIES ?? 1000))
const ns = `hpparts:${process.pid}`
const admin = new Redis(url)

/** Redis's `calls` and `usec` per command since the server started. */
async function commandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const text = await admin.info('commandstats')
  const out = new Map<string, { calls: number; usec: number }>()
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line)
    if (m) out.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) })
  }
  return out
}

/** Runs `op` `OPS` times in a row; µs and CPU µs per op, and Redis's commands per op. */
async function time(op: (i: number) => Promise<unknown>, warm = 20) {
  for (let i = 0; i < warm; i++) await op(i)
  const before = await commandStats()
  const cpu = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < OPS; i++) await op(i)
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / OPS
  const used = process.cpuUsage(cpu)
  const after = await commandStats()
  const redis: string[] = []
  let redisUs = 0
  for (const [name, a] of after) {
    const b = before.get(name) ?? { calls: 0, usec: 0 }
    const calls = a.calls - b.calls
    // The two INFO calls themselves.
    if (name === 'info' || calls <= 0) continue
    redisUs += (a.usec - b.usec) / OPS
    redis.push(`${name} ${(calls / OPS).toFixed(2)}×${((a.usec - b.usec) / calls).toFixed(1)}µs`)
  }
  return { us, cpu: (used.user + used.system) / OPS, redisUs, redis: redis.join(' ') }
}

/** A manager on `client` as cache-core builds hotpath's (no L1); each has its own store, so its own memo. */
const managerOn = (client: Redis, name: string) =>
  new CacheManager({ store: redisStore({ client }), prefix: `${ns}:${name}`, ttl: '10m', timeout: '1s' })

type Result = Awaited<ReturnType<typeof time>>
const best = new Map<string, Result>()
const keep = (name: string, r: Result) => {
  const b = best.get(name)
  if (!b || r.us < b.us) best.set(name, r)
}

async function main(): Promise<void> {
  const variants = [
    ['hotpath', new Redis(url)],
    ['hotpath-ap', new Redis(url, RECOMMENDED)],
  ] as const
  const caches = variants.map(([name, client]) => {
    const cache = managerOn(client, name)
    return [name, client, cache] as const
  })
  for (const [, , cache] of caches) await cache.ready()
  // As cache-core fills: 1,000 entries tagged 'hot' among ENTRIES.
  for (const [, , cache] of caches)
    for (let j = 0; j < ENTRIES; j += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, ENTRIES - j) }, (_, i) =>
          cache.set(
            `p:${j + i}`,
            { ...product, id: j + i },
            { tags: j + i < TAGGED ? ['hot'] : [`cold:${(j + i) % 100}`] },
          ),
        ),
      )
  // bentocache as cache-core runs it, for its commands per operation.
  const bentoClient = new Redis(url, RECOMMENDED)
  const bento = new BentoCache({
    default: 'c',
    prefix: `${ns}:bc`,
    ttl: '10m',
    stores: { c: bentostore().useL2Layer(redisDriver({ connection: bentoClient })) },
  })
  if (bentoClient.status !== 'ready') await new Promise((r) => bentoClient.once('ready', r))
  for (let j = 0; j < ENTRIES; j += 200)
    await Promise.all(
      Array.from({ length: Math.min(200, ENTRIES - j) }, (_, i) =>
        bento.set({
          key: `p:${j + i}`,
          value: { ...product, id: j + i },
          tags: j + i < TAGGED ? ['hot'] : [`cold:${(j + i) % 100}`],
        }),
      ),
    )
  for (let round = 0; round < ROUNDS; round++) {
    keep('bentocache: deleteByTag alone', await time(() => bento.deleteByTag({ tags: ['hot'] })))
    keep(
      'bentocache: deleteByTag + read',
      await time(async (i) => {
        await bento.deleteByTag({ tags: ['hot'] })
        if ((await bento.get({ key: `p:${i % TAGGED}` })) !== undefined)
          throw new Error('bentocache read an invalid entry')
      }),
    )
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, client, cache] of caches) {
      keep(`${name}: bare ioredis GET`, await time(() => client.get('nothing')))
      // The floor of any two-round-trip design on this client: a bare DEL, then a bare MGET.
      keep(
        `${name}: bare ioredis DEL, then MGET`,
        await time(async () => {
          await client.del(`${ns}:none`)
          await client.mget(`${ns}:none`, `${ns}:none2`)
        }),
      )
      keep(`${name}: invalidateTags alone`, await time(() => cache.invalidateTags(['hot'])))
      const missOn = (c: CacheManager) => async (i: number) => {
        if ((await c.get(`p:${i % TAGGED}`)) !== undefined) throw new Error('read an invalid entry')
      }
      const miss = missOn(cache)
      // A fresh store has read no entry yet: each key's first read goes by script.
      const fresh = managerOn(client, name)
      const firsts = missOn(fresh)
      keep(`${name}: first read after invalidation`, await time((i) => firsts(i % TAGGED), 0))
      // Read before: an MGET of the entry and its tag's version.
      keep(`${name}: read again after invalidation`, await time(miss, TAGGED))
      // As cache-core's row runs it: each key's first read goes by script (its second by MGET).
      const fresh2 = managerOn(client, name)
      const firsts2 = missOn(fresh2)
      keep(
        `${name}: invalidate + first read`,
        await time(async (i) => {
          await fresh2.invalidateTags(['hot'])
          await firsts2(i)
        }, 0),
      )
      keep(
        `${name}: invalidate + read again`,
        await time(async (i) => {
          await cache.invalidateTags(['hot'])
          await miss(i)
        }),
      )
    }
  console.log(`\n${OPS} ops per part, best of ${ROUNDS} rounds, concurrency 1\n`)
  console.log(
    '| part | µs/op | ops/s | CPU µs/op (process) | Redis CPU µs/op | Redis commands per op × µs each |',
  )
  console.log('|---|---:|---:|---:|---:|---|')
  for (const [name, r] of best)
    console.log(
      `| ${name} | ${r.us.toFixed(1)} | ${Math.round(1e6 / r.us)} | ${r.cpu.toFixed(1)} | ${r.redisUs.toFixed(1)} | ${r.redis} |`,
    )
  await bento.disconnectAll()
  for (const [, client, cache] of caches) {
    await cache.close()
    client.disconnect()
  }
  const keys = await admin.keys(`${ns}*`)
  for (let i = 0; i < keys.length; i += 500) await admin.unlink(...keys.slice(i, i + 500))
  admin.disconnect()
}

await main()
