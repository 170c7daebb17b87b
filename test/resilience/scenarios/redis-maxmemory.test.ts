import { Redis } from 'ioredis'
import { expect, it } from 'vitest'
import { CatalogWorkload } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { reportFault } from '../support/fault-report.js'
import { runWithFault, timeUntil } from '../support/fault-run.js'
import { useStack } from '../support/stack.js'

const MAXMEMORY = 8 << 20
const stack = useStack({ redis: { maxmemoryBytes: MAXMEMORY }, tenants: 1, products: 60 })

/** Rejections Redis counted with `-OOM` so far (`INFO errorstats`). */
async function oomRejections(client: Redis): Promise<number> {
  const info = await client.info('errorstats')
  return Number(/errorstat_OOM:count=(\d+)/.exec(info)?.[1] ?? 0)
}

it('Redis at maxmemory with noeviction: refused writes are swallowed, the API answers 2xx and stays correct', async () => {
  const redis = stack.redis
  if (!redis) throw new Error('no private Redis')
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  const work = new CatalogWorkload(stack.tenants[0]!, { hot: 5, writeRatio: 0.1 })
  let fillers = 0
  let before = 0
  let recovery: Promise<number> | undefined
  try {
    const run = await runWithFault({
      origin: stack.origin,
      next: work.next,
      inject: async () => {
        // Halving chunks: Redis refuses a write only once used memory is past maxmemory, so fill
        // the gap down to a few bytes; the service's next write then tips it over for good.
        for (let size = 256 << 10; size >= 16; size >>= 1) {
          for (;;) {
            try {
              await client.set(`filler:${fillers}`, 'x'.repeat(size))
              fillers++
            } catch {
              break // -OOM at this size: try a smaller one
            }
          }
        }
        before = await oomRejections(client)
      },
      heal: async () => {
        for (let i = 0; i < fillers; i++) await client.del(`filler:${i}`)
        const base = await client.dbsize()
        // Caching has resumed once the service stores new keys (entries, tag versions) again.
        recovery = timeUntil(async () => (await client.dbsize()) > base, 10_000)
      },
    })
    const recoveryMs = await recovery?.catch(() => undefined)
    const refusedDuringFault = (await oomRejections(client)) - before
    const notOk = run.load.records.filter((r) => r.status < 200 || r.status >= 300).length
    const verdict = reportFault({
      id: 'redis-maxmemory',
      title: `Redis full (maxmemory ${MAXMEMORY >> 20} MiB, noeviction) for ${LOAD.faultMs / 1000} s under load`,
      run,
      lost: await work.lostWrites(stack.db),
      recoveryMs,
      actual: { non2xx: notOk, redisRefusedWrites: refusedDuringFault > 0 },
      expected: { non2xx: 0, redisRefusedWrites: true },
      notes: [
        `Redis answered -OOM ${refusedDuringFault} times during the fault`,
        'recovery: ms from the fillers being deleted to the service storing a new key',
      ],
    })
    expect(verdict.actual, verdict.message).toEqual(verdict.expected)
  } finally {
    client.disconnect()
  }
})
