import { redisStore } from '@hotpath/cache-kit'
import { useRedis } from '@hotpath/test-services'
import { storeBehaviour } from './suite/store-behaviour.js'

const redis = useRedis()
let n = 0
storeBehaviour('redis', {
  store: () => redisStore({ client: redis.client }),
  prefix: () => `${redis.prefix}t${++n}`,
})
