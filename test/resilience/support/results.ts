import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runId } from '@hotpath/test-services'

/**
 * Where scenarios write their figures: one folder per `vitest run` (`reports/resilience/<runId>/`),
 * so two runs at once cannot mix their rows. `reports/` is not committed; `report.ts` reads it.
 */
export const RESULTS_DIR = fileURLToPath(new URL('../../../reports/resilience/', import.meta.url))

/** One row of the reliability table: what a scenario did and counted. */
export interface ScenarioResult {
  /** Stable id, also the file name (`redis-stop`). */
  readonly id: string
  readonly group: 'fault' | 'attack' | 'distributed'
  /** The fault or attack, as the table shows it. */
  readonly title: string
  readonly requests: number
  /** Responses ≥ 500 (and requests that got no response) the scenario did not expect. */
  readonly fiveXx: number
  readonly wrong: number
  /** Acknowledged writes missing afterwards; `null` where the scenario writes nothing to check. */
  readonly lostWrites: number | null
  /** ms from the end of the fault to recovery; `null` where nothing has to recover. */
  readonly recoveryMs: number | null
  /** Every figure the scenario asserts, actual against expected. */
  readonly actual: Record<string, unknown>
  readonly expected: Record<string, unknown>
  /** Anything worth reading next to the numbers (first violations, X-Cache counts). */
  readonly notes: readonly string[]
}

/**
 * A stored result plus whether its actual figures met the expected ones, when it was recorded and
 * the machine's 1-minute load average then (other work on the machine skews every timing).
 */
export type StoredResult = ScenarioResult & {
  readonly passed: boolean
  readonly at: string
  readonly load1: number
}

/** Writes `result` to `reports/resilience/<runId>/<id>.json` (before the test asserts, so a red run is recorded too). */
export function recordResult(result: ScenarioResult): void {
  const dir = join(RESULTS_DIR, runId())
  mkdirSync(dir, { recursive: true })
  const passed = JSON.stringify(result.actual) === JSON.stringify(result.expected)
  const stored: StoredResult = {
    ...result,
    passed,
    at: new Date().toISOString(),
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }
  writeFileSync(join(dir, `${result.id}.json`), `${JSON.stringify(stored, null, 2)}\n`)
}

/** The results of the most recent run (the newest folder under `RESULTS_DIR`), sorted by group then id. */
export function readResults(): { run: string; results: StoredResult[] } {
  let runs: string[] = []
  try {
    runs = readdirSync(RESULTS_DIR).filter((d) => statSync(join(RESULTS_DIR, d)).isDirectory())
  } catch {
    return { run: '', results: [] }
  }
  const run = runs.sort(
    (a, b) => statSync(join(RESULTS_DIR, b)).mtimeMs - statSync(join(RESULTS_DIR, a)).mtimeMs,
  )[0]
  if (!run) return { run: '', results: [] }
  const dir = join(RESULTS_DIR, run)
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'))
  const order = { fault: 0, attack: 1, distributed: 2 }
  const results = files
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as StoredResult)
    .sort((a, b) => order[a.group] - order[b.group] || a.id.localeCompare(b.id))
  return { run, results }
}
