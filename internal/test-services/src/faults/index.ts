export { startPrivateMariaDb } from './private-mariadb.js'
export { type PrivateRedisOptions, startPrivateRedis } from './private-redis.js'
export {
  accepts,
  type ControlledService,
  freePort,
  type ProcessSpec,
  startProcessService,
} from './process-service.js'
export {
  type ReplicatedCluster,
  type ReplicatedClusterOptions,
  startReplicatedCluster,
} from './replicated-cluster.js'
