import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import type { Redis } from 'ioredis'
import { beforeAll, expect, it } from 'vitest'
import { usePrivateRedis } from './support/private-redis.js'

// A private server, so the command statistics count this test's commands only.
const redis = usePrivateRedis()
let client: Redis
let admin: Redis
beforeAll(async () => {
  client = await redis.connect()
  admin = await redis.connect()
})

async function commands(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats')
  const out: Record<string, number> = {}
  for (const m of info.matchAll(/cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/g)) out[m[1] as string] = Number(m[2])
  delete out.info
  delete out['config|resetstat']
  return out
}

it('a tagged hit on a single node costs one command: value and tag versions together', async () => {
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'rt', timeout: '2s' })
  await cache.set('k', { a: 1 }, { tags: ['x', 'y', 'z'] })
  const warm = new CacheManager({ store: redisStore({ client }), prefix: 'rt', timeout: '2s' })
  await warm.get('absent') // loads the script into the server
  await admin.config('RESETSTAT')
  // The first read finds the tag names in the entry: one script, the four GETs (entry + three tag
  // versions) inside it.
  expect(await cache.get('k')).toEqual({ a: 1 })
  expect(await commands()).toEqual({ evalsha: 1, get: 4 })
  // Later reads fetch the entry and the versions of the tags it had in one MGET.
  await admin.config('RESETSTAT')
  expect(await cache.get('k')).toEqual({ a: 1 })
  expect(await commands()).toEqual({ mget: 1 })
  await cache.invalidateTags(['y'])
  await admin.config('RESETSTAT')
  expect(await cache.get('k')).toBeUndefined()
  expect(await commands()).toEqual({ mget: 1 })
  // An entry rewritten with other tags is read again by the script, which sees its new tags.
  await cache.set('k', { a: 2 }, { tags: ['w'] })
  await admin.config('RESETSTAT')
  expect(await cache.get('k')).toEqual({ a: 2 })
  expect(await commands()).toEqual({ mget: 1, evalsha: 1, get: 2 })
  await admin.config('RESETSTAT')
  expect(await cache.get('k')).toEqual({ a: 2 })
  expect(await commands()).toEqual({ mget: 1 })
})

it('a getOrSet miss on a single node is two commands: the read takes the lease, the write releases it', async () => {
  const warm = new CacheManager({ store: redisStore({ client }), prefix: 'rt2', timeout: '2s' })
  await warm.getOrSet('warm-up', () => 1) // loads the scripts
  await warm.close()
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'rt2', timeout: '2s' })
  // What clients send, apart from what scripts run inside.
  const monitor = await redis.connect()
  const sent: string[] = []
  const watching = await monitor.monitor()
  let marked: () => void = () => {}
  const mark = new Promise<void>((resolve) => {
    marked = resolve
  })
  watching.on('monitor', (_time: string, args: string[], source: string) => {
    const name = String(args[0]).toLowerCase()
    if (name === 'echo' && args[1] === 'mark') marked()
    else if (!source.includes('lua') && name !== 'config' && name !== 'info') sent.push(name)
  })
  await admin.config('RESETSTAT')
  expect(await cache.getOrSet('cold', () => 'v')).toBe('v')
  await cache.close() // waits for any background work
  // EVALSHA (GET entry + SET NX lease inside), then EVALSHA (SET entry, then GET + DEL of the lease).
  expect(await commands()).toEqual({ evalsha: 2, get: 2, set: 2, del: 1 })
  // The monitor shows commands in the order Redis ran them: once it shows this mark, it has shown
  // every command before it.
  await admin.echo('mark')
  await mark
  expect(sent).toEqual(['evalsha', 'evalsha'])
  watching.disconnect()
  monitor.disconnect()
})

it('a tagged getOrSet miss on a single node is two commands too: the read stamps the tags it takes the lease for', async () => {
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'rt5', timeout: '2s' })
  await cache.getOrSet('warm-up', () => 1, { tags: ['a'] }) // loads the scripts
  await cache.get('warm-up') // waits for the warm-up's write, which goes on behind getOrSet
  await admin.config('RESETSTAT')
  expect(await cache.getOrSet('cold', () => 'v', { tags: ['products', 'company:1'] })).toBe('v')
  await cache.close()
  // EVALSHA (GET entry, SET NX lease, a tick of the clock, SET NX GET per tag, SET clock), then
  // EVALSHA (SET entry, a counter per tag, GET + DEL of the lease).
  const c = await commands()
  expect(c.evalsha).toBe(2)
  // The stamped versions are the entry's: an invalidation of one of its tags drops it.
  const again = new CacheManager({ store: redisStore({ client }), prefix: 'rt5', timeout: '2s' })
  expect(await again.get('cold')).toBe('v')
  await again.invalidateTags(['company:1'])
  expect(await again.get('cold')).toBeUndefined()
  await again.close()
})

it('invalidateRows on a single node is one script call: the write epochs and the rows tags at once', async () => {
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'rt3', timeout: '2s' })
  await cache.invalidateRows([{ resource: 'products', scope: 1, ids: [1] }]) // loads the script
  await admin.config('RESETSTAT')
  await cache.invalidateRows([
    { resource: 'products', scope: 1, ids: [7], columns: ['price'] },
    { resource: 'stocks', scope: 1, ids: [3] },
  ])
  // Inside it: a tick of the clock, a new token per existing version, GETDEL per counter.
  expect((await commands()).evalsha).toBe(1)
  await cache.close()
})

it('a write with the bus on is one command on a single node: the bus message goes out in the script', async () => {
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'rt4', timeout: '2s', l1: {} })
  await cache.ready()
  await cache.set('warm-up', 1) // loads the script
  await admin.config('RESETSTAT')
  await cache.set('k', { a: 1 })
  // Client commands: one EVALSHA (SET and PUBLISH inside), where a SET and a PUBLISH went before.
  expect(await commands()).toEqual({ evalsha: 1, set: 1, publish: 1 })
  await cache.close()
})
