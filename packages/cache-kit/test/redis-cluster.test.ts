import { redisStore } from '@hotpath/cache-kit/redis'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import { useRedisCluster } from '@hotpath/test-services'

const cluster = useRedisCluster()
let n = 0
storeBehaviour('redis cluster', {
  store: () => redisStore({ client: cluster.client }),
  prefix: () => `${cluster.prefix}t${++n}`,
})
