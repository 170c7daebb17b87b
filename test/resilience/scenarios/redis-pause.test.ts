import { expect, it } from 'vitest'
import { CatalogWorkload } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { describeSlow, reportFault, SLOW_BOUND_MS, slowInWindow } from '../support/fault-report.js'
import { runWithFault, timeUntil } from '../support/fault-run.js'
import { leaseKeys, metricValue, sample } from '../support/observe.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, tenants: 1, products: 60 })

it('Redis paused (SIGSTOP): no request waits past the cache timeout plus its own time; the circuit opens and closes', async () => {
  const redis = stack.redis
  if (!redis) throw new Error('no private Redis')
  const work = new CatalogWorkload(stack.tenants[0]!, { hot: 5, writeRatio: 0.1 })
  const t0 = performance.now()
  const circuit = sample(t0, 100, () => metricValue(stack.origin, 'hotpath_cache_circuit_open'))
  const run = await runWithFault({
    origin: stack.origin,
    t0,
    next: work.next,
    inject: () => redis.pause(),
    heal: () => redis.resume(),
  })
  // The breaker closes on its own (half-open probe after its cool-down): wait for it, bounded.
  const closed = await timeUntil(
    async () => circuit.samples.some((s) => s.start >= run.window.end && s.value === 0),
    10_000,
  ).then(
    () => true,
    () => false,
  )
  await circuit.stop()
  // Every request has finished: a lease key still there is one nobody holds (see the notes).
  const leases = await leaseKeys(redis.url)
  const during = circuit.samples.filter((s) => s.start >= run.window.start && s.end < run.window.end)
  const closedAt = circuit.samples.find((s) => s.start >= run.window.end && s.value === 0)?.end
  const slow = slowInWindow(run)
  const verdict = reportFault({
    id: 'redis-pause',
    title: `Redis paused (SIGSTOP) for ${LOAD.faultMs / 1000} s under load, then resumed`,
    run,
    lost: await work.lostWrites(stack.db),
    recoveryMs: closedAt === undefined ? undefined : closedAt - run.window.end,
    actual: {
      [`slowerThan${SLOW_BOUND_MS}ms`]: slow.length,
      circuitOpenedDuringPause: during.some((s) => s.value === 1),
      circuitClosedAfterResume: closed,

      processAlive: stack.instances[0]!.alive(),
    },
    expected: {
      [`slowerThan${SLOW_BOUND_MS}ms`]: 0,
      circuitOpenedDuringPause: true,
      circuitClosedAfterResume: true,

      processAlive: true,
    },
    notes: [
      'recovery: ms from SIGCONT to `hotpath_cache_circuit_open` reading 0 at /metrics (sampled every 100 ms, waited for at most 10 s)',
      `stampede-lease keys left in Redis after every request had finished: ${leases.join(', ') || 'none'}`,
      ...(slow.length > 0 ? [`slow: ${describeSlow(slow)}`] : []),
    ],
  })
  expect(verdict.actual, verdict.message).toEqual(verdict.expected)
})
