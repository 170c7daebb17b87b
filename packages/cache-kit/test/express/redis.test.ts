import { CacheManager, redisStore } from '@hotpath/cache-kit'
import { useRedis } from '@hotpath/test-services'
import { describeResponseCache } from './suite.js'

const redis = useRedis()
const make = () =>
  new CacheManager({
    store: redisStore({ client: redis.client }),
    prefix: `${redis.prefix}http`,
    timeout: '2s',
  })

describeResponseCache('Redis', make, make)
