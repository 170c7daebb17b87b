import { CircuitBreaker } from './circuit-breaker.js'
import { Deadlines } from './deadlines.js'
import { CacheError, toCacheError } from './errors.js'
import type { TierStats } from './stats.js'

/** Where the guard reports a failure (the manager counts and emits it). */
export type FailureReport = (error: CacheError, operation: string, key: string | undefined) => void

/**
 * Runs store calls with a timeout and behind the circuit breaker, counting failures. `call` resolves
 * `fallback` on failure when `failOpen`, else rejects with the `CacheError`.
 */
export class RemoteGuard {
  readonly breaker: CircuitBreaker | undefined
  rejections = 0
  /** One deadline queue per call duration (the default, and the longer one of key scans). */
  private readonly deadlines = new Map<number, Deadlines>()

  constructor(
    private readonly timeoutMs: number | undefined,
    breaker: { threshold: number; cooldownMs: number } | undefined,
    private readonly tier: TierStats,
    private readonly report: FailureReport,
    private readonly onSuccess: () => void = () => {},
    private readonly connecting: () => Promise<unknown> | undefined = () => undefined,
  ) {
    this.breaker = breaker && new CircuitBreaker(breaker)
  }

  async call<T, F>(
    operation: string,
    key: string | undefined,
    fn: () => Promise<T>,
    failOpen: boolean,
    fallback: F,
    timeoutMs = this.timeoutMs,
  ): Promise<T | F> {
    // A fresh client's first connection is waited for outside the call's timeout (bounded by the store).
    const pending = this.connecting()
    if (pending) await pending
    if (this.breaker && !this.breaker.allow()) {
      this.rejections++
      return this.fail(
        new CacheError('circuit_open', 'store circuit is open'),
        operation,
        key,
        failOpen,
        fallback,
      )
    }
    try {
      const value = await (timeoutMs === undefined
        ? fn()
        : withTimeout(fn(), this.deadlinesOf(timeoutMs), timeoutMs, operation))
      this.breaker?.success()
      this.onSuccess()
      return value
    } catch (err) {
      const error = toCacheError(err, `store ${operation} failed`)
      if (error.code === 'timeout') this.tier.timeouts++
      this.breaker?.failure()
      return this.fail(error, operation, key, failOpen, fallback)
    }
  }

  private deadlinesOf(ms: number): Deadlines {
    let d = this.deadlines.get(ms)
    if (!d) {
      d = new Deadlines(ms)
      this.deadlines.set(ms, d)
    }
    return d
  }

  private fail<F>(
    error: CacheError,
    operation: string,
    key: string | undefined,
    failOpen: boolean,
    fallback: F,
  ): F {
    this.tier.errors++
    this.report(error, operation, key)
    if (!failOpen) throw error
    return fallback
  }
}

/** `promise`, or a `CacheError` `timeout` once its deadline in `deadlines` passed without it settling. */
function withTimeout<T>(
  promise: Promise<T>,
  deadlines: Deadlines,
  ms: number,
  operation: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = deadlines.start(() =>
      reject(new CacheError('timeout', `store ${operation} timed out after ${ms} ms`)),
    )
    promise.then(
      (v) => {
        deadlines.finish(w)
        resolve(v)
      },
      (e: unknown) => {
        deadlines.finish(w)
        reject(e)
      },
    )
  })
}
