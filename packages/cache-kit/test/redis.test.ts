import { redisStore } from '@hotpath/cache-kit/redis'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import { useRedis } from '@hotpath/test-services'

const redis = useRedis()
let n = 0
storeBehaviour('redis', {
  store: () => redisStore({ client: redis.client }),
  prefix: () => `${redis.prefix}t${++n}`,
})
