import { Cluster, type ClusterOptions } from 'ioredis'
import { afterAll, beforeAll, inject } from 'vitest'
import { ServiceUnavailableError, spaceName } from './service-url.js'
import { deleteRedisPrefix } from './sweep.js'

/** One test file's space on the Redis Cluster: a key prefix of its own, deleted on every master after. */
export interface RedisClusterSpace {
  readonly nodes: string[]
  readonly prefix: string
  readonly client: Cluster
  connect(options?: ClusterOptions): Cluster
}

/** Like `useRedis`, on the cluster of `@hotpath/test-services/cluster-setup`. */
export function useRedisCluster(): RedisClusterSpace {
  const clients: Cluster[] = []
  let nodes: string[] | undefined
  let prefix: string | undefined
  let client: Cluster | undefined
  const space: RedisClusterSpace = {
    get nodes() {
      return must(nodes)
    },
    get prefix() {
      return must(prefix)
    },
    get client() {
      return must(client)
    },
    connect(options) {
      const startup = must(nodes).map((n) => {
        const [host, port] = n.split(':')
        return { host: host ?? '127.0.0.1', port: Number(port) }
      })
      const c = new Cluster(startup, { redisOptions: { maxRetriesPerRequest: 1 }, ...options })
      c.on('error', () => {})
      clients.push(c)
      return c
    },
  }
  beforeAll(async () => {
    const state = inject('hotpathRedisCluster')
    if (!state)
      throw new ServiceUnavailableError(
        'Redis Cluster: add @hotpath/test-services/cluster-setup to globalSetup.',
      )
    if (!state.ok) throw new ServiceUnavailableError(state.reason)
    nodes = state.nodes
    prefix = spaceName('redis')
    client = space.connect()
    await client.ping()
  })
  afterAll(async () => {
    if (nodes && prefix) {
      const p = prefix
      await Promise.all(nodes.map((n) => deleteRedisPrefix(`redis://${n}`, p)))
    }
    for (const c of clients.splice(0)) c.disconnect()
  })
  return space
}

function must<T>(v: T | undefined): T {
  if (v === undefined)
    throw new Error('useRedisCluster(): the space exists only inside tests (after beforeAll)')
  return v
}
