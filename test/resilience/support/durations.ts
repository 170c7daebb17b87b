/** Reads a positive number of seconds from `name`, else `fallback`; the suite's only knob source. */
function seconds(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!(n > 0)) throw new Error(`${name} must be a positive number of seconds (got ${raw})`)
  return n
}

/**
 * The suite's durations and load, from the environment (defaults in brackets): `RESILIENCE_FAULT_S`
 * (5) how long each fault lasts, `RESILIENCE_PHASE_S` (2) the load before and
 * after it, `RESILIENCE_FUZZ_S` (60, a minute) the tenant-isolation fuzz,
 * `RESILIENCE_RATE` (250) requests/s.
 */
export const LOAD = {
  faultMs: seconds('RESILIENCE_FAULT_S', 5) * 1000,
  phaseMs: seconds('RESILIENCE_PHASE_S', 2) * 1000,
  fuzzMs: seconds('RESILIENCE_FUZZ_S', 60) * 1000,
  rate: seconds('RESILIENCE_RATE', 250),
  concurrency: 16,
}

/**
 * The cache's per-call timeout the suite runs every instance with (`CACHE_TIMEOUT_MS`, the store
 * API's default): set explicitly so the slow-request bound cannot drift from the service's value.
 */
export const CACHE_TIMEOUT_MS = 200
