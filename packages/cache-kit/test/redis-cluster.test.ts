import { redisStore } from '@hotpath/cache-kit'
import { useRedisCluster } from '@hotpath/test-services'
import { storeBehaviour } from './suite/store-behaviour.js'

const cluster = useRedisCluster()
let n = 0
storeBehaviour('redis cluster', {
  store: () => redisStore({ client: cluster.client }),
  prefix: () => `${cluster.prefix}t${++n}`,
})
