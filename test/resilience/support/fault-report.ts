import { CACHE_TIMEOUT_MS } from './durations.js'
import type { FaultRun } from './fault-run.js'
import { noResponseNotes, type RequestRecord, serverErrors } from './load.js'
import { recordResult } from './results.js'

/**
 * The slowest a request may be while the cache is broken: a request may wait on the cache a few
 * times (API key lookup, response read, lease, write), each bounded by the cache timeout; the rest
 * is the handler's own time on a loaded 2-core machine. Generous on purpose: without the timeout
 * and fail-open, a request would hang until the 10 s client timeout.
 */
export const SLOW_BOUND_MS = 4 * CACHE_TIMEOUT_MS + 1000

/**
 * Requests still running when the fault began or sent after it (during the fault and in the phase
 * after it: what a fault leaves behind counts too) that took longer than `bound` ms.
 */
export function slowInWindow(run: FaultRun, bound = SLOW_BOUND_MS): RequestRecord[] {
  return run.load.records.filter((r) => r.end > run.window.start && r.end - r.start > bound)
}

/** `kind path @start+ms→status X-Cache` of the first few slow requests, for the report's notes. */
export function describeSlow(slow: readonly RequestRecord[]): string {
  return slow
    .slice(0, 5)
    .map(
      (r) =>
        `${r.kind} ${r.path} @${Math.round(r.start)}+${Math.round(r.end - r.start)}ms→${r.status} ${r.xCache}`,
    )
    .join(', ')
}

/** What one fault scenario counted, ready for `expect(actual).toEqual(expected)`. */
export interface FaultVerdict {
  readonly actual: Record<string, unknown>
  readonly expected: Record<string, unknown>
  /** Violations and lost writes, for the assertion message. */
  readonly message: string
}

/** Options of {@link reportFault}. */
export interface FaultReport {
  readonly id: string
  /** The table's group (default `fault`). */
  readonly group?: 'fault' | 'distributed'
  readonly title: string
  readonly run: FaultRun
  readonly lost: { lost: number; details: string[] }
  readonly recoveryMs: number | undefined
  /** 5xx the scenario expects (a database outage answers 503); these are not counted. */
  readonly expectedFiveXx?: (r: RequestRecord) => boolean
  /** Figures of this scenario besides 5xx, wrong responses and lost writes. */
  readonly actual: Record<string, unknown>
  readonly expected: Record<string, unknown>
  readonly notes?: readonly string[]
}

/** Counts the standard figures of a fault run, writes the result file and returns the verdict. */
export function reportFault(o: FaultReport): FaultVerdict {
  const { records } = o.run.load
  const unexpected = o.expectedFiveXx ? records.filter((r) => !o.expectedFiveXx?.(r)) : records
  const actual = {
    fiveXx: serverErrors(unexpected),
    wrong: o.run.load.wrong,
    lostWrites: o.lost.lost,
    ...o.actual,
  }
  const expected = { fiveXx: 0, wrong: 0, lostWrites: 0, ...o.expected }
  const slowest = [...records].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 3)
  recordResult({
    id: o.id,
    group: o.group ?? 'fault',
    title: o.title,
    requests: o.run.load.sent,
    fiveXx: actual.fiveXx,
    wrong: actual.wrong,
    lostWrites: actual.lostWrites,
    recoveryMs: o.recoveryMs === undefined ? null : Math.round(o.recoveryMs),
    actual,
    expected,
    notes: [
      `statuses ${JSON.stringify(o.run.load.byStatus)}; X-Cache ${JSON.stringify(o.run.load.byXCache)}`,
      `fault ${Math.round(o.run.window.start)}–${Math.round(o.run.window.end)} ms; slowest requests ${describeSlow(slowest)}`,
      `wrong responses before / during / after the fault: ${phases(o.run)}`,
      ...(o.notes ?? []),
      ...o.run.load.violations.slice(0, 5),
      ...noResponseNotes(unexpected),
      ...o.lost.details.slice(0, 5),
    ],
  })
  return { actual, expected, message: [...o.run.load.violations, ...o.lost.details].join('\n') }
}

function phases(run: FaultRun): string {
  const at = run.load.wrongAt
  const before = at.filter((t) => t < run.window.start).length
  const during = at.filter((t) => t >= run.window.start && t < run.window.end).length
  return `${before} / ${during} / ${at.length - before - during}`
}
