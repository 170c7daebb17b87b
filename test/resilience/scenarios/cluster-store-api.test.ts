import { expect, it } from 'vitest'
import { CatalogWorkload } from '../support/catalog-workload.js'
import { describeSlow, reportFault, SLOW_BOUND_MS, slowInWindow } from '../support/fault-report.js'
import { runWithFault, timeUntil } from '../support/fault-run.js'
import { redisKeyCount } from '../support/observe.js'
import { useStack } from '../support/stack.js'

// The service itself on a Redis Cluster (REDIS_CLUSTER_NODES), under the standard catalogue load;
// one master is killed and its replica takes over. cluster-failover.test.ts does the same to
// cache-kit alone.
const stack = useStack({ cluster: { nodeTimeoutMs: 1000 }, tenants: 1, products: 60 })

/** Keys on the cluster node at `port`; -1 when it does not answer. */
const keysOn = (port: number) => redisKeyCount(`redis://127.0.0.1:${port}`)

it('Redis Cluster, one master killed under load: no 5xx, every response correct, the cache works again after failover', async () => {
  const cluster = stack.cluster
  if (!cluster) throw new Error('no private Redis Cluster')
  const work = new CatalogWorkload(stack.tenants[0]!, { hot: 5, writeRatio: 0.1 })
  const mastersBefore = await cluster.masters()
  const victim = mastersBefore[0]
  if (victim === undefined) throw new Error('the cluster reports no master')
  let keysBefore = 0
  let killedAt = 0
  let failedOverAt = Number.NaN
  let promoted: number | undefined
  let recovery: Promise<number | undefined> | undefined
  const t0 = performance.now()
  /** After the kill: failover, then the first entry the service stores on the promoted replica. */
  const watch = async (): Promise<number | undefined> => {
    // Failover is the cluster's own doing (cluster-node-timeout 1 s plus an election).
    await cluster.waitHealthy(30_000)
    failedOverAt = performance.now() - t0
    promoted = (await cluster.masters()).find((p) => !mastersBefore.includes(p))
    if (promoted === undefined) return undefined
    const port = promoted
    const base = await keysOn(port)
    await timeUntil(async () => (await keysOn(port)) > base, 15_000)
    return performance.now() - t0 - killedAt
  }
  const run = await runWithFault({
    origin: stack.origin,
    t0,
    next: work.next,
    inject: async () => {
      keysBefore = (await Promise.all(mastersBefore.map(keysOn))).reduce((a, b) => a + b, 0)
      await cluster.node(victim).kill()
      killedAt = performance.now() - t0
      recovery = watch()
    },
    // The killed master stays down: the cluster runs on with the promoted replica.
    heal: () => undefined,
  })
  const recoveryMs = await recovery?.catch(() => undefined)
  const slow = slowInWindow(run)
  const verdict = reportFault({
    id: 'cluster-store-api',
    group: 'distributed',
    title: `Store API on a Redis Cluster (3 masters + 3 replicas): one master killed under load, failed over`,
    run,
    lost: await work.lostWrites(stack.db),
    recoveryMs,
    actual: {
      cachedOnTheCluster: keysBefore > 0,
      [`slowerThan${SLOW_BOUND_MS}ms`]: slow.length,
      failedOver: promoted !== undefined,
      cachingResumedOnPromotedReplica: recoveryMs !== undefined,
      processAlive: stack.instances[0]!.alive(),
    },
    expected: {
      cachedOnTheCluster: true,
      [`slowerThan${SLOW_BOUND_MS}ms`]: 0,
      failedOver: true,
      cachingResumedOnPromotedReplica: true,
      processAlive: true,
    },
    notes: [
      `${keysBefore} keys on the cluster's masters at the kill; master ${victim} killed, replica ${promoted ?? 'none'} promoted ${Math.round(failedOverAt - killedAt)} ms after the kill`,
      'recovery: ms from the kill to the service storing a new entry on the promoted replica (the failed-over slots cache again); the killed master stays down to the end',
      ...(slow.length > 0 ? [`slow: ${describeSlow(slow)}`] : []),
    ],
  })
  expect(verdict.actual, verdict.message).toEqual(verdict.expected)
})
