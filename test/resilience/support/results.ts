import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where each scenario writes its figures (`reports/` is not committed; `report.ts` reads it). */
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

/** A stored result plus whether its actual figures met the expected ones. */
export type StoredResult = ScenarioResult & { readonly passed: boolean; readonly at: string }

/** Writes `result` to `reports/resilience/<id>.json` (before the test asserts, so a red run is recorded too). */
export function recordResult(result: ScenarioResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const passed = JSON.stringify(result.actual) === JSON.stringify(result.expected)
  const stored: StoredResult = { ...result, passed, at: new Date().toISOString() }
  writeFileSync(join(RESULTS_DIR, `${result.id}.json`), `${JSON.stringify(stored, null, 2)}\n`)
}

/** Every stored result, sorted by group then id. */
export function readResults(): StoredResult[] {
  let files: string[] = []
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  const order = { fault: 0, attack: 1, distributed: 2 }
  return files
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as StoredResult)
    .sort((a, b) => order[a.group] - order[b.group] || a.id.localeCompare(b.id))
}
