import { Cluster, Redis } from 'ioredis'
import type { RedisTarget } from './config.js'

/** The ioredis client the cache runs on: one server or a Redis Cluster (cache-kit takes either). */
export type RedisClient = Redis | Cluster

// No offline queue and one retry: while Redis is down, commands fail fast and the cache fails open.
// Auto-pipelining: the commands of one tick go out in one write (fewer syscalls under load).
const clientOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  enableAutoPipelining: true,
} as const

/**
 * Connects to `target` and waits up to 2 s for it to be ready. A server that is not up yet is not
 * an error: the client keeps reconnecting, and until it is ready the cache bypasses Redis. For a
 * cluster the nodes are seeds; the client discovers every master from them (`CLUSTER SLOTS`).
 * Errors are left to the cache's `'error'` event.
 */
export async function connectRedis(target: RedisTarget): Promise<RedisClient> {
  const client =
    target.kind === 'single'
      ? new Redis(target.url, clientOptions)
      : new Cluster(
          target.nodes.map((n) => ({ host: n.host, port: n.port })),
          { enableOfflineQueue: false, enableAutoPipelining: true, redisOptions: clientOptions },
        )
  client.on('error', () => {}) // reported through the cache's 'error' event
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(done, 2000)
    client.once('ready', done)
  })
  return client
}
