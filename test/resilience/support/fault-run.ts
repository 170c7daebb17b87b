import { LOAD } from './durations.js'
import { type LoadOp, type LoadResult, runSuiteLoad } from './load.js'

/** When the fault was really in place, in ms since the run's `t0`. */
export interface FaultWindow {
  readonly start: number
  readonly end: number
}

/** Options of {@link runWithFault}. */
export interface FaultRunOptions {
  readonly origin: string
  readonly next: () => LoadOp
  /** Puts the fault in place (kill, pause, fill…). */
  readonly inject: () => Promise<void> | void
  /** Takes it away again (restart, resume…); resolves when the broken part answers again. */
  readonly heal: () => Promise<void> | void
  readonly faultMs?: number
  readonly phaseMs?: number
  /** `performance.now()` the record times count from (default: when the run starts). */
  readonly t0?: number
}

/** A load run with a fault in its middle. */
export interface FaultRun {
  readonly t0: number
  readonly load: LoadResult
  readonly window: FaultWindow
}

/**
 * Runs the load for `phaseMs`, injects the fault, keeps it for `faultMs`, heals it, and keeps the
 * load going for `phaseMs` more. The load is bounded by rate × total time.
 */
export async function runWithFault(o: FaultRunOptions): Promise<FaultRun> {
  const faultMs = o.faultMs ?? LOAD.faultMs
  const phaseMs = o.phaseMs ?? LOAD.phaseMs
  const totalMs = 2 * phaseMs + faultMs
  const t0 = o.t0 ?? performance.now()
  const window = { start: 0, end: 0 }
  const fault = (async () => {
    await delay(phaseMs)
    await o.inject()
    window.start = performance.now() - t0
    await delay(faultMs)
    await o.heal()
    window.end = performance.now() - t0
  })()
  const load = await runSuiteLoad({ origin: o.origin, durationMs: totalMs, t0, next: o.next })
  await fault
  return { t0, load, window }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `check` every 50 ms until it is true; resolves with the ms it took, rejects after `timeoutMs`. */
export async function timeUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (await check()) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await delay(50)
  }
}
