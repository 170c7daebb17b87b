// The store behaviour suite again, on ioredis clients with `enableAutoPipelining` (the setting
// docs/cache-kit.md recommends under load): the read script, leases and invalidations batched
// with other commands of the same tick, on one Redis and on a Cluster.
import { redisStore } from '@hotpath/cache-kit/redis'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import type { Cluster, Redis } from 'ioredis'
import { beforeAll } from 'vitest'

const redis = useRedis()
const cluster = useRedisCluster()
let single: Redis
let clustered: Cluster
let n = 0
beforeAll(async () => {
  single = redis.connect({ enableAutoPipelining: true })
  clustered = cluster.connect({ enableAutoPipelining: true })
  await Promise.all([single.ping(), clustered.ping()])
})

storeBehaviour('redis, auto-pipelining', {
  store: () => redisStore({ client: single }),
  prefix: () => `${redis.prefix}ap${++n}`,
})

storeBehaviour('redis cluster, auto-pipelining', {
  store: () => redisStore({ client: clustered }),
  prefix: () => `${cluster.prefix}ap${++n}`,
})
