import { expect, it } from 'vitest'
import { CatalogWorkload } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { reportFault, SLOW_BOUND_MS, slowInWindow } from '../support/fault-report.js'
import { runWithFault } from '../support/fault-run.js'
import { metricValue, sample } from '../support/observe.js'
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
  // Give the breaker's half-open probe (1 s cooldown) time to close it after the run's last phase.
  await new Promise((r) => setTimeout(r, 1500))
  await circuit.stop()
  const during = circuit.samples.filter((s) => s.t >= run.window.start && s.t < run.window.end)
  const after = circuit.samples.filter((s) => s.t >= run.window.end)
  const closedAt = after.find((s) => s.value === 0)?.t
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
      circuitClosedAfterResume: after.at(-1)?.value === 0,
      processAlive: stack.instances[0]!.alive(),
    },
    expected: {
      [`slowerThan${SLOW_BOUND_MS}ms`]: 0,
      circuitOpenedDuringPause: true,
      circuitClosedAfterResume: true,
      processAlive: true,
    },
    notes: [
      'recovery: ms from SIGCONT to `hotpath_cache_circuit_open` reading 0 at /metrics',
      `slow: ${slow
        .slice(0, 5)
        .map((r) => `${r.kind}@${Math.round(r.start)}+${Math.round(r.end - r.start)}ms`)
        .join(', ')}`,
    ],
  })
  expect(verdict.actual, verdict.message).toEqual(verdict.expected)
})
