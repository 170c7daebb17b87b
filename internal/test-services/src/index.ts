export {
  type DatabaseSpace,
  type DatabaseSpaceOptions,
  DIALECTS,
  type Dialect,
  useDatabase,
} from './databases.js'
export {
  ENV_VARS,
  howToProvide,
  LOCAL_URLS,
  type ServiceName,
  type ServiceState,
  type ServicesInfo,
} from './provided.js'
export { type RedisSpace, useRedis } from './redis.js'
export { type RedisClusterSpace, useRedisCluster } from './redis-cluster.js'
export { MissingServiceError, type ResolveOptions, resolveServices } from './resolve-services.js'
export { runId, ServiceUnavailableError, serviceUrl, spaceName } from './service-url.js'
export { deleteRedisPrefix } from './sweep.js'
