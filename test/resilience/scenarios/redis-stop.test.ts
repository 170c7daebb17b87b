import { expect, it } from 'vitest'
import { CatalogWorkload } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { describeSlow, reportFault, SLOW_BOUND_MS, slowInWindow } from '../support/fault-report.js'
import { runWithFault, timeUntil } from '../support/fault-run.js'
import { redisKeyCount } from '../support/observe.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, tenants: 1, products: 60 })

it('Redis killed mid-run and restarted: no 5xx, every response correct, caching resumes by itself', async () => {
  const redis = stack.redis
  if (!redis) throw new Error('no private Redis')
  const work = new CatalogWorkload(stack.tenants[0]!, { hot: 5, writeRatio: 0.1 })
  let recovery: Promise<number> | undefined
  const run = await runWithFault({
    origin: stack.origin,
    next: work.next,
    inject: () => redis.kill(),
    heal: async () => {
      await redis.start()
      // The restarted Redis is empty: caching has resumed once the service writes entries again.
      recovery = timeUntil(async () => (await redisKeyCount(redis.url)) > 0, 15_000)
    },
  })
  const recoveryMs = await recovery?.catch(() => undefined)
  const slow = slowInWindow(run)
  const verdict = reportFault({
    id: 'redis-stop',
    title: `Redis killed (SIGKILL) for ${LOAD.faultMs / 1000} s under load, then restarted`,
    run,
    lost: await work.lostWrites(stack.db),
    recoveryMs,
    actual: {
      [`slowerThan${SLOW_BOUND_MS}ms`]: slow.length,
      cachingResumed: recoveryMs !== undefined,
      processAlive: stack.instances[0]!.alive(),
    },
    expected: { [`slowerThan${SLOW_BOUND_MS}ms`]: 0, cachingResumed: true, processAlive: true },
    notes: [
      'recovery: ms from the restarted Redis answering to the service writing entries into it again',
      ...(slow.length > 0 ? [`slow: ${describeSlow(slow)}`] : []),
      ...(stack.instances[0]!.alive()
        ? []
        : [`the process exited: ${crashOf(stack.instances[0]!.output())}`]),
    ],
  })
  expect(verdict.actual, verdict.message).toEqual(verdict.expected)
})

/** The first error line of a crashed process's output and the two stack lines after it. */
function crashOf(output: string): string {
  const lines = output.split('\n')
  const at = lines.findIndex((l) => /Error|Uncaught|throw/.test(l))
  return at < 0
    ? output.slice(-300)
    : lines
        .slice(at, at + 3)
        .join(' ')
        .replace(/\s+/g, ' ')
}
