// `npm run bench -- cache-core`: hotpath vs bentocache vs cacheable, side by side in one run, on
// the same local Redis. hotpath runs twice: `hotpath` on an ioredis client created with no options
// (`new Redis(url)`, as most users create it), `hotpath-ap` on the client docs/cache-kit.md
// recommends (auto-pipelining on). Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_ENTRIES
// (default 100000), BENCH_ROUNDS (default 3), BENCH_ONLY=consistency (only the strict vs eventual
// table) or BENCH_ONLY=l2 (only the L2 hit and getOrSet miss rows).

// The built package, as users run it (`npm run build` first): tsx-transformed sources wrap every
// closure in esbuild's keepNames helper, a cost dist/ does not have.
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { createKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { Cacheable } from 'cacheable'
import { Redis } from 'ioredis'
import { product, RECOMMENDED } from './fixtures.ts'
import { libraryVersions, printTable, type Row, run } from './measure.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000)
const TAGGED = 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/**
 * `run`, also noting this process's CPU time per operation (the lowest over the rounds): on a
 * machine shared with other work, ops/s swing with the load, CPU per operation much less.
 */
async function runNoting(
  row: Row,
  name: string,
  op: () => Promise<unknown>,
  o: { ops: number; concurrency: number },
) {
  const before = process.cpuUsage()
  const rate = await run(op, o)
  const used = process.cpuUsage(before)
  const warmup = Math.min(1000, o.ops / 10)
  const us = (used.user + used.system) / (o.ops + warmup)
  const cpu = row.cpu ?? {}
  cpu[name] = Math.min(cpu[name] ?? Number.POSITIVE_INFINITY, us)
  row.cpu = cpu
  keepBest(row, name, rate)
}
const keepBest = (row: Row, name: string, v: number) => {
  row.values[name] = Math.max(row.values[name] ?? 0, v)
}
const ns = `hpbench:${process.pid}`

const client = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 })
const redisFor: Redis[] = [client]
const newRedis = (options: 'none' | 'recommended' = 'recommended') => {
  const r = options === 'none' ? new Redis(url) : new Redis(url, RECOMMENDED)
  redisFor.push(r)
  return r
}
const ready = (r: Redis) =>
  r.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => r.once('ready', () => resolve()))
const connected = () => Promise.all(redisFor.map(ready))
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

type Lib = {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, tags?: string[]): Promise<unknown>
  getOrSet(key: string, load: () => Promise<unknown>): Promise<unknown>
  invalidateTag?(tag: string): Promise<unknown>
  close(): Promise<unknown>
}

function hotpath(
  l1: boolean,
  consistency: 'eventual' | 'strict' = 'eventual',
  options: 'none' | 'recommended' = 'recommended',
): Lib {
  const cache = new CacheManager({
    store: redisStore({ client: newRedis(options) }),
    prefix: `${ns}:hp${l1 ? 1 : 2}${consistency}${options}`,
    ttl: '10m',
    timeout: '1s',
    l1: l1 && { maxEntries: 10_000 },
    consistency,
  })
  return {
    get: (k) => cache.get(k),
    set: (k, v, tags) => cache.set(k, v, tags ? { tags } : {}),
    getOrSet: (k, load) => cache.getOrSet(k, load),
    invalidateTag: (t) => cache.invalidateTags([t]),
    close: () => cache.close(),
  }
}

function bento(l1: boolean): Lib {
  const store = bentostore()
  if (l1) store.useL1Layer(memoryDriver({ maxItems: 10_000 }))
  store.useL2Layer(redisDriver({ connection: newRedis() }))
  const cache = new BentoCache({
    default: 'c',
    prefix: `${ns}:bc${l1 ? 1 : 2}`,
    ttl: '10m',
    stores: { c: store },
  })
  return {
    get: (k) => cache.get({ key: k }),
    set: (k, v, tags) => cache.set({ key: k, value: v, ...(tags ? { tags } : {}) }),
    getOrSet: (k, load) => cache.getOrSet({ key: k, factory: load }),
    invalidateTag: (t) => cache.deleteByTag({ tags: [t] }),
    close: () => cache.disconnectAll(),
  }
}

function cacheable(l1: boolean): Lib {
  const remote = createKeyv(url, { namespace: `${ns}:ca${l1 ? 1 : 2}` })
  const cache = l1
    ? new Cacheable({ secondary: remote, ttl: '10m' })
    : new Cacheable({ primary: remote, ttl: '10m' })
  return {
    get: (k) => cache.get(k),
    set: (k, v) => cache.set(k, v),
    getOrSet: (k, load) => cache.getOrSet(k, load),
    close: () => cache.disconnect(),
  }
}

const HOTPATH = ['hotpath', 'hotpath-ap']
const libs = (l1: boolean): Array<[string, Lib]> => [
  ['hotpath', hotpath(l1, 'eventual', 'none')],
  ['hotpath-ap', hotpath(l1, 'eventual', 'recommended')],
  ['bentocache', bento(l1)],
  ['cacheable', cacheable(l1)],
]

async function fill(lib: Lib, n: number, tagged: number): Promise<void> {
  const batch = 200
  for (let i = 0; i < n; i += batch) {
    const work: Promise<unknown>[] = []
    for (let j = i; j < Math.min(n, i + batch); j++)
      work.push(lib.set(`p:${j}`, { ...product, id: j }, j < tagged ? ['hot'] : [`cold:${j % 100}`]))
    await Promise.all(work)
  }
}

/**
 * hotpath with `consistency: 'strict'` against the default, same Redis, same tagged entry: an L1
 * hit then costs one MGET of the tag versions; an L2 hit is unchanged (one command).
 */
async function consistencyTable(): Promise<void> {
  const modes = ['eventual', 'strict'] as const
  const rows: Row[] = []
  for (const l1 of [true, false]) {
    const libsOf = modes.map((m) => [m, hotpath(l1, m)] as const)
    // Only this table's two clients: the earlier libraries' clients may be closed by now.
    await Promise.all(redisFor.slice(-2).map(ready))
    for (const [, lib] of libsOf) await lib.set('warm', product, ['t1', 't2'])
    for (const concurrency of [1, 32]) {
      const r: Row = {
        scenario: `${l1 ? 'L1' : 'L2 (Redis)'} hit, 2 tags, concurrency ${concurrency}`,
        unit: 'ops/s',
        values: {},
      }
      const ops = l1 && concurrency === 1 ? 10_000 : 20_000
      for (let round = 0; round < ROUNDS; round++)
        for (const [name, lib] of libsOf)
          keepBest(r, name, await run(() => lib.get('warm'), { ops, concurrency }))
      rows.push(r)
    }
    for (const [, lib] of libsOf) await lib.close()
  }
  console.log('\nhotpath consistency: strict vs eventual (default)\n')
  printTable(rows, ['strict', 'eventual'])
}

async function main(): Promise<void> {
  await client.ping()
  if (process.env.BENCH_ONLY === 'consistency') return consistencyTable()
  const rows: Row[] = []
  const only = process.env.BENCH_ONLY

  // Rounds interleave the libraries and keep each one's best, so a burst of load elsewhere on the
  // machine does not decide a comparison.
  // 1. L1 hit: every library with an in-process tier in front of Redis; the key is warm.
  const withL1 = only === 'l2' ? [] : libs(true)
  await connected()
  const r1: Row = { scenario: 'L1 hit (get, warm key)', unit: 'ops/s', values: {} }
  for (const [name, lib] of withL1) {
    await lib.set('warm', product, ['t'])
    if (!same(await lib.get('warm'), product)) throw new Error(`${name}: warm key not readable`)
  }
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, lib] of withL1)
      keepBest(r1, name, await run(() => lib.get('warm'), { ops: 100_000, concurrency: 1 }))
  if (withL1.length) rows.push(r1)

  // 2. L2 hit: no in-process tier, so each read is a Redis round trip (hotpath: tags included).
  const noL1 = libs(false)
  await connected()
  for (const [name, lib] of noL1) {
    await lib.set('warm', product, ['t1', 't2'])
    if (!same(await lib.get('warm'), product)) throw new Error(`${name}: warm key not readable`)
  }
  for (const concurrency of [1, 32]) {
    const r: Row = {
      scenario: `L2 (Redis) hit, tagged, concurrency ${concurrency}`,
      unit: 'ops/s',
      values: {},
    }
    const ops = concurrency === 1 ? 5_000 : 20_000
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, lib] of noL1) await runNoting(r, name, () => lib.get('warm'), { ops, concurrency })
    rows.push(r)
  }

  // 3. getOrSet miss with coalescing: 50 concurrent callers on a cold key, loader takes ~1 ms.
  const r3: Row = { scenario: 'getOrSet miss, 50 callers/key', unit: 'keys/s', values: {}, notes: {} }
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, lib] of noL1) {
      let n = 0
      let loads = 0
      const load = async () => {
        loads++
        await new Promise((r) => setTimeout(r, 1))
        return product
      }
      const miss = async () => {
        const key = `miss:${round}:${n++}`
        await Promise.all(Array.from({ length: 50 }, () => lib.getOrSet(key, load)))
      }
      await runNoting(r3, name, miss, { ops: 200, concurrency: 1 })
      r3.notes![name] = `${(loads / n).toFixed(2)} loads/key`
    }
  rows.push(r3)

  // 4. Tag invalidation: 1k entries tagged 'hot' among ENTRIES. One op = invalidate the tag, then
  // read one of its entries (which must miss): the cost a request pays right after an update.
  // Every library is filled first; then each runs the same 2,000 operations in the same order,
  // interleaved with the others in slices of 100, so a burst of load elsewhere on the machine falls
  // on all of them alike (run one after the other, the ratio of two runs of the same code varied
  // 1.5-3.1x on a shared machine).
  const r4: Row = {
    scenario: `invalidate tag + read (1k of ${ENTRIES / 1000}k entries)`,
    unit: 'ops/s',
    values: {},
    cpu: {},
  }
  const tagging = (only === 'l2' ? [] : noL1).flatMap(([name, lib]) => {
    const invalidate = lib.invalidateTag?.bind(lib)
    if (!invalidate) return []
    let round = 0
    const op = async () => {
      await invalidate('hot')
      if ((await lib.get(`p:${round++ % TAGGED}`)) !== undefined) throw new Error(`${name}: still readable`)
    }
    return [{ name, lib, op, ns: 0, cpu: 0 }]
  })
  for (const { name, lib, op } of tagging) {
    await fill(lib, ENTRIES, TAGGED)
    if (!same(await lib.get('p:1'), { ...product, id: 1 })) throw new Error(`${name}: fill failed`)
    for (let i = 0; i < 10; i++) await op()
  }
  const OPS4 = 2000
  for (let done = 0; done < OPS4; done += 100)
    for (const t of tagging) {
      const cpu = process.cpuUsage()
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < 100; i++) await t.op()
      t.ns += Number(process.hrtime.bigint() - t0)
      const used = process.cpuUsage(cpu)
      t.cpu += used.user + used.system
    }
  for (const { name, lib, ns, cpu } of tagging) {
    r4.values[name] = OPS4 / (ns / 1e9)
    r4.cpu![name] = cpu / OPS4
    if ((await lib.get(`p:${TAGGED + 1}`)) === undefined) throw new Error(`${name}: untagged entry lost`)
  }
  if (only !== 'l2') rows.push(r4)

  printTable(rows, [...HOTPATH, 'bentocache', 'cacheable'], HOTPATH)
  console.log(`\n${libraryVersions(['bentocache', 'cacheable', 'ioredis', 'keyv', '@keyv/redis'])}`)
  for (const [, lib] of [...withL1, ...noL1]) await lib.close()
  if (only !== 'l2') await consistencyTable()
}

main()
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(async () => {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${ns}*`, 'COUNT', 5000)
      cursor = next
      if (keys.length) await client.unlink(...keys)
    } while (cursor !== '0')
    for (const r of redisFor) r.disconnect()
  })
