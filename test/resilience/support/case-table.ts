import { recordResult } from './results.js'

/** One row of an attack table: what was sent, what the contract expects, what came back. */
export interface CaseOutcome {
  readonly name: string
  /** Expected status, or alternatives joined by `|` where the contract allows either (`400|404`). */
  readonly expected: string
  readonly status: number
  /** Why the case is wrong besides its status (rows leaked, poisoned body…); empty when right. */
  readonly problem?: string
}

/** `status` when it is one of `expected`'s alternatives, else the status and the problem. */
function verdict(c: CaseOutcome): string {
  const ok = c.expected.split('|').includes(String(c.status))
  if (ok && !c.problem) return c.expected
  return `${c.status}${c.problem ? `: ${c.problem}` : ''}`
}

/**
 * Records an attack table as one result (requests, 5xx, wrong = cases whose outcome differs) and
 * returns `{ actual, expected }` tables keyed by case name for an exact `toEqual`.
 */
export function reportCases(o: {
  id: string
  title: string
  cases: readonly CaseOutcome[]
  requests: number
  /** Rows written by the attacks (must be 0), `null` where nothing is checked. */
  written: number | null
  extra?: { actual: Record<string, unknown>; expected: Record<string, unknown> }
}): { actual: Record<string, unknown>; expected: Record<string, unknown> } {
  const actual: Record<string, unknown> = Object.fromEntries(o.cases.map((c) => [c.name, verdict(c)]))
  const expected: Record<string, unknown> = Object.fromEntries(o.cases.map((c) => [c.name, c.expected]))
  if (o.written !== null) {
    actual.rowsWritten = o.written
    expected.rowsWritten = 0
  }
  Object.assign(actual, o.extra?.actual)
  Object.assign(expected, o.extra?.expected)
  const wrong = o.cases.filter((c) => verdict(c) !== c.expected)
  recordResult({
    id: o.id,
    group: 'attack',
    title: o.title,
    requests: o.requests,
    fiveXx: o.cases.filter((c) => c.status >= 500 || c.status === 0).length,
    wrong: wrong.length,
    lostWrites: null,
    recoveryMs: null,
    actual,
    expected,
    notes: [
      `${o.cases.length} cases${o.written === null ? '' : `; rows written by the attacks: ${o.written}`}`,
      ...wrong.slice(0, 8).map((c) => `${c.name}: expected ${c.expected}, got ${verdict(c)}`),
    ],
  })
  return { actual, expected }
}
