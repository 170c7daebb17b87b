import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { expect, it } from 'vitest'
import { usePrivateRedis } from './support/private-redis.js'

// Private: killing pub/sub connections must not touch other files' subscribers.
const redis = usePrivateRedis()
const connect = () => redis.connect()

it('drops the whole L1 when the bus reconnects, since invalidations sent meanwhile are lost', async () => {
  const admin = await connect()
  const a = new CacheManager({
    store: redisStore({ client: await connect() }),
    prefix: 'r',
    l1: {},
    timeout: '2s',
  })
  const b = new CacheManager({
    store: redisStore({ client: await connect() }),
    prefix: 'r',
    l1: {},
    timeout: '2s',
  })
  await Promise.all([a.ready(), b.ready()])
  // Written without L1, hence without a bus message that could arrive late and evict b's copy.
  const seed = new CacheManager({
    store: redisStore({ client: await connect() }),
    prefix: 'r',
    timeout: '2s',
  })
  await seed.set('k', 1)
  expect(await b.get('k')).toBe(1)
  expect(await b.get('k')).toBe(1)
  expect(b.stats().l1?.hits).toBe(1)
  await admin.client('KILL', 'TYPE', 'pubsub')
  // While b's subscriber is away, a's invalidation cannot reach it.
  await admin.set('r:k', 'x') // overwritten behind the cache's back: only a fresh read sees it
  for (let i = 0; i < 200; i++) {
    const [, subscribers] = (await admin.pubsub('NUMSUB', 'r#bus')) as [string, number]
    if (subscribers === 2) break
    await new Promise((r) => setTimeout(r, 10))
  }
  expect(await b.get('k')).toBeUndefined() // the planted value is not an envelope: L2 was read
  expect(b.stats().l1?.hits).toBe(1)
  await Promise.all([a.close(), b.close()])
})
