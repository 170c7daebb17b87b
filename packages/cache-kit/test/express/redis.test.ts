import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import type { Redis } from 'ioredis'
import { beforeAll } from 'vitest'
import { describeResponseCache } from './support/suite.js'

const redis = useRedis()
const make = () =>
  new CacheManager({
    store: redisStore({ client: redis.client }),
    prefix: `${redis.prefix}http`,
    timeout: '2s',
  })

describeResponseCache('Redis', make, make)

// The same on a client with ioredis' auto-pipelining, the setting recommended under load.
let pipelined: Redis
beforeAll(async () => {
  pipelined = redis.connect({ enableAutoPipelining: true })
  await pipelined.ping()
})
const makePipelined = () =>
  new CacheManager({
    store: redisStore({ client: pipelined }),
    prefix: `${redis.prefix}http-ap`,
    timeout: '2s',
  })

describeResponseCache('Redis, auto-pipelining', makePipelined, makePipelined)
