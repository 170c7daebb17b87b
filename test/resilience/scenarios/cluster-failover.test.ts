import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import { type ReplicatedCluster, startReplicatedCluster } from '@hotpath/test-services/faults'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { LOAD } from '../support/durations.js'
import { delay } from '../support/fault-run.js'
import { recordResult } from '../support/results.js'

let cluster: ReplicatedCluster
const clients: Cluster[] = []

function connect(): Cluster {
  const startup = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) }))
  const c = new Cluster(startup, { redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 500 } })
  c.on('error', () => {})
  clients.push(c)
  return c
}

let shared: Cluster | undefined
beforeAll(async () => {
  cluster = await startReplicatedCluster({ nodeTimeoutMs: 1000 })
  shared = connect()
  await shared.ping()
})
afterAll(async () => {
  for (const c of clients) c.disconnect()
  await cluster?.dispose()
})

// The same behavioural suite cache-kit's stores pass, on a cluster with replicas.
let n = 0
storeBehaviour('redis cluster with replicas', {
  store: () => {
    if (!shared) throw new Error('the cluster starts in beforeAll')
    return redisStore({ client: shared })
  },
  prefix: () => `res:t${++n}`,
})

const KEYS = 200
const value = (k: number) => ({ key: k, payload: `value ${k}` })

it('one master killed under load: getOrSet fails open (never throws, never wrong) and the cache recovers after failover', async () => {
  const client = connect()
  await client.ping()
  const cache = new CacheManager({ store: redisStore({ client }), prefix: 'res:failover' })
  const durationMs = 2 * LOAD.phaseMs + LOAD.faultMs
  const t0 = performance.now()
  let ops = 0
  let thrown = 0
  let wrong = 0
  let killedAt = 0
  let failedOverAt = 0
  let recoveredAt = 0
  const chaos = (async () => {
    await delay(LOAD.phaseMs)
    const [victim] = await cluster.masters()
    await cluster.node(victim ?? 0).kill()
    killedAt = performance.now() - t0
    await cluster.waitHealthy(30_000)
    failedOverAt = performance.now() - t0
    // Recovered: every key written after the failover reads back from the store, not the loader.
    const probe = new CacheManager({ store: redisStore({ client: connect() }), prefix: 'res:probe' })
    for (;;) {
      const round = performance.now()
      await Promise.all(Array.from({ length: 50 }, (_, k) => probe.set(`p${round}:${k}`, k)))
      const back = await Promise.all(Array.from({ length: 50 }, (_, k) => probe.get(`p${round}:${k}`)))
      if (back.every((v, k) => v === k)) break
      if (performance.now() - t0 > durationMs + 30_000) return
      await delay(100)
    }
    recoveredAt = performance.now() - t0
  })()
  const worker = async () => {
    while (performance.now() - t0 < durationMs) {
      const k = Math.floor(Math.random() * KEYS)
      ops++
      try {
        const v = await cache.getOrSet(`k${k}`, async () => value(k), { ttl: '1m' })
        if (JSON.stringify(v) !== JSON.stringify(value(k))) wrong++
      } catch {
        thrown++
      }
      await delay(2)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  await chaos
  const stats = cache.stats()
  const actual = { thrown, wrong, failedOver: failedOverAt > 0, recovered: recoveredAt > 0 }
  const expected = { thrown: 0, wrong: 0, failedOver: true, recovered: true }
  recordResult({
    id: 'cluster-failover',
    group: 'distributed',
    title: 'Redis Cluster (3 masters + 3 replicas): one master killed under cache-kit getOrSet load',
    requests: ops,
    fiveXx: thrown,
    wrong,
    lostWrites: null,
    recoveryMs: recoveredAt > 0 ? Math.round(recoveredAt - killedAt) : null,
    actual,
    expected,
    notes: [
      `failover (replica promoted, cluster ok) ${Math.round(failedOverAt - killedAt)} ms after the kill; store errors counted ${stats.errors}, timeouts ${stats.timeouts}`,
      'recovery: ms from the kill until 50 fresh keys written to the cluster all read back from it',
      '5xx column: getOrSet calls that threw (fail-open means none)',
    ],
  })
  expect(actual).toEqual(expected)
})
