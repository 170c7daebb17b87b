import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import { describeRowPrecision } from './support/rows-suite.js'

describeRowPrecision(
  'the memory store',
  () => new CacheManager({ store: memoryStore(), prefix: 'http-rows' }),
  true,
)

const redis = useRedis()
describeRowPrecision(
  'Redis, strict consistency',
  () =>
    new CacheManager({
      store: redisStore({ client: redis.client }),
      prefix: `${redis.prefix}rows`,
      timeout: '2s',
      consistency: 'strict',
    }),
  true,
)

const cluster = useRedisCluster()
describeRowPrecision(
  'Redis Cluster',
  () =>
    new CacheManager({
      store: redisStore({ client: cluster.client }),
      prefix: `${cluster.prefix}rows`,
      timeout: '2s',
    }),
  false,
)
