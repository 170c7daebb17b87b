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
 * (5, the value) how long each fault lasts, `RESILIENCE_PHASE_S` (2) the load before and
 * after it, `RESILIENCE_FUZZ_S` (20, to fit the CI budget; the issue says a minute: set 60) the tenant-isolation fuzz,
 * `RESILIENCE_RATE` (250) requests/s.
 */
export const LOAD = {
  faultMs: seconds('RESILIENCE_FAULT_S', 5) * 1000,
  phaseMs: seconds('RESILIENCE_PHASE_S', 2) * 1000,
  fuzzMs: seconds('RESILIENCE_FUZZ_S', 20) * 1000,
  rate: seconds('RESILIENCE_RATE', 250),
  concurrency: 16,
}

/**
 * The cache's per-call timeout in the service (cache-kit's default, 50 ms; the store API does not
 * change it).
 */
export const CACHE_TIMEOUT_MS = 50
