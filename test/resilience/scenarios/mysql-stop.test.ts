import { expect, it } from 'vitest'
import { CatalogWorkload, interleave } from '../support/catalog-workload.js'
import { LOAD } from '../support/durations.js'
import { reportFault } from '../support/fault-report.js'
import { runWithFault } from '../support/fault-run.js'
import { send } from '../support/http-client.js'
import { sample } from '../support/observe.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, privateMariaDb: true, tenants: 2, products: 40 })

/** Movements sent together right before the kill, to catch transactions in flight. */
const BURST = 32

/** The contract's answer while the database is down. */
const DB_DOWN = new Map([[503, 'database_unavailable']])

it('MySQL killed: cached reads answer, the rest 503 with the contract body, the process recovers, no 201 is lost', async () => {
  const maria = stack.mariaDb
  if (!maria) throw new Error('no private MariaDB')
  const t0 = performance.now()
  // 503 is acceptable while the database is down, and until the first request after it succeeds.
  let healedAt = Number.POSITIVE_INFINITY
  let healStartedAt = Number.POSITIVE_INFINITY
  let burst: Promise<{ status: number; problem: string | undefined }[]> | undefined
  let recoveredAt = Number.POSITIVE_INFINITY
  const allowed = () => (performance.now() - t0 < recoveredAt ? DB_DOWN : new Map<number, string>())
  const work = new CatalogWorkload(stack.tenants[0]!, { hot: 5, writeRatio: 0.1, allowed })
  // A read-only tenant: no write invalidates its cached pages, so they can answer during the outage.
  const readOnly = new CatalogWorkload(stack.tenants[1]!, { hot: 0, writeRatio: 0, allowed }, 2)
  const next = interleave(work.next, readOnly.next)
  const ready = sample(
    t0,
    200,
    async () => (await send(stack.origin, { path: '/ready', timeoutMs: 8000 })).status,
  )
  const run = await runWithFault({
    origin: stack.origin,
    t0,
    next: () => {
      const op = next()
      const check = op.check
      return {
        ...op,
        check: async (res) => {
          const now = performance.now() - t0
          if (now > healedAt && res.status >= 200 && res.status < 300 && op.req.method)
            recoveredAt = Math.min(recoveredAt, now)
          return check?.(res)
        },
      }
    },
    inject: async () => {
      // Writes in flight when the database dies: a burst of movements (each one transaction), and
      // the kill once the first is answered, so that others are inside their transactions then.
      const sent = Array.from({ length: BURST }, async () => {
        const op = work.movement()
        const res = await send(stack.origin, op.req)
        return { status: res.status, problem: await op.check?.(res) }
      })
      burst = Promise.all(sent)
      await Promise.race(sent)
      await maria.kill()
    },
    heal: async () => {
      healStartedAt = performance.now() - t0
      await maria.start()
      healedAt = performance.now() - t0
    },
  })
  await ready.stop()
  const burstResults = (await burst) ?? []
  const burstServerErrors = burstResults.filter(
    (r) => r.status === 0 || (r.status >= 500 && r.status !== 503),
  )
  const inWindow = run.load.records.filter((r) => r.start >= run.window.start + 500 && r.end < run.window.end)
  const cachedAnswers = inWindow.filter((r) => r.status === 200 && r.xCache === 'HIT').length
  // /ready calls sent after the kill and answered before the restart began: the database was dead.
  const readyDuring = ready.samples.filter((s) => s.start >= run.window.start && s.end < healStartedAt)
  const verdict = reportFault({
    id: 'mysql-stop',
    title: `MySQL (MariaDB) killed for ${LOAD.faultMs / 1000} s under load, then restarted`,
    run,
    lost: await work.lostWrites(stack.db),
    recoveryMs: Number.isFinite(recoveredAt) ? recoveredAt - run.window.end : undefined,
    expectedFiveXx: (r) => r.status === 503 && r.start < recoveredAt,
    actual: {
      cachedReadsAnsweredDuringOutage: cachedAnswers > 0,
      readyWas503DuringOutage: readyDuring.length > 0 && readyDuring.every((s) => s.value === 503),
      readyIs200After: ready.samples.at(-1)?.value === 200,
      recoveredWithoutRestart: Number.isFinite(recoveredAt) && stack.instances[0]!.alive(),
      writesInFlightAtKillAnswered5xx: burstServerErrors.length,
      writesInFlightAtKillWrong: burstResults.filter((r) => r.problem !== undefined && r.status < 500).length,
    },
    expected: {
      cachedReadsAnsweredDuringOutage: true,
      readyWas503DuringOutage: true,
      readyIs200After: true,
      recoveredWithoutRestart: true,
      writesInFlightAtKillAnswered5xx: 0,
      writesInFlightAtKillWrong: 0,
    },
    notes: [
      `/ready during the outage answered ${JSON.stringify(countValues(readyDuring.map((s) => s.value)))}`,
      `during the outage: ${cachedAnswers} cached 200s, ${inWindow.filter((r) => r.status === 503).length} × 503`,
      `${BURST} movements sent at the kill: statuses ${JSON.stringify(countValues(burstResults.map((r) => r.status)))}`,
      'recovery: ms from the restarted MariaDB answering to the first successful write',
      ...serverErrorLog(stack.instances[0]!.output()),
    ],
  })
  expect(verdict.actual, verdict.message).toEqual(verdict.expected)
})

/** The service's log lines for 500 responses (LOG_LEVEL=error), shortened: what the 5xx were. */
function serverErrorLog(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.includes('"statusCode":500') || l.includes('"status":500'))
    .slice(0, 2)
    .map((l) => {
      const parsed = JSON.parse(l) as { err?: { message?: string; code?: string; type?: string } }
      return `service log for a 500: ${parsed.err?.type ?? ''} ${parsed.err?.code ?? ''} ${parsed.err?.message?.slice(0, 160) ?? l.slice(0, 160)}`
    })
}

function countValues(values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}
