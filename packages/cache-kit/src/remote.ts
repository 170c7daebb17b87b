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

  call<T, F>(
    operation: string,
    key: string | undefined,
    fn: () => Promise<T>,
    failOpen: boolean,
    fallback: F,
    timeoutMs = this.timeoutMs,
  ): Promise<T | F> {
    // A fresh client's first connection is waited for outside the call's timeout (bounded by the store).
    const pending = this.connecting()
    if (pending) return pending.then(() => this.attempt(operation, key, fn, failOpen, fallback, timeoutMs))
    return this.attempt(operation, key, fn, failOpen, fallback, timeoutMs)
  }

  /**
   * One promise per call, settled by the reply or the deadline, whichever comes first: every hit
   * goes through here, so nothing is layered around the store's own promise but this one.
   */
  private attempt<T, F>(
    operation: string,
    key: string | undefined,
    fn: () => Promise<T>,
    failOpen: boolean,
    fallback: F,
    timeoutMs: number | undefined,
  ): Promise<T | F> {
    return new Promise<T | F>((resolve, reject) => {
      const failed = (err: unknown, circuitOpen = false) => {
        try {
          resolve(this.failure(err, circuitOpen, operation, key, failOpen, fallback))
        } catch (error) {
          reject(error)
        }
      }
      if (this.breaker && !this.breaker.allow()) {
        this.rejections++
        failed(new CacheError('circuit_open', 'store circuit is open'), true)
        return
      }
      let reply: Promise<T>
      try {
        reply = fn()
      } catch (err) {
        failed(err)
        return
      }
      const deadlines = timeoutMs === undefined ? undefined : this.deadlinesOf(timeoutMs)
      const w = deadlines?.start(() =>
        failed(new CacheError('timeout', `store ${operation} timed out after ${timeoutMs} ms`)),
      )
      reply.then(
        (value) => {
          if (w) {
            // Expired first: the call failed already.
            if (w.state === 'done') return
            deadlines?.finish(w)
          }
          try {
            this.breaker?.success()
            this.onSuccess()
          } catch (err) {
            failed(err)
            return
          }
          resolve(value)
        },
        (err: unknown) => {
          if (w) {
            if (w.state === 'done') return
            deadlines?.finish(w)
          }
          failed(err)
        },
      )
    })
  }

  /** Counts and reports a failed call: `fallback` when `failOpen`, else throws the `CacheError`. */
  private failure<F>(
    err: unknown,
    circuitOpen: boolean,
    operation: string,
    key: string | undefined,
    failOpen: boolean,
    fallback: F,
  ): F {
    const error = toCacheError(err, `store ${operation} failed`)
    // A call the open circuit refused never reached the store: it is not a failure of the store.
    if (!circuitOpen) {
      if (error.code === 'timeout') this.tier.timeouts++
      this.breaker?.failure()
    }
    this.tier.errors++
    this.report(error, operation, key)
    if (!failOpen) throw error
    return fallback
  }

  private deadlinesOf(ms: number): Deadlines {
    let d = this.deadlines.get(ms)
    if (!d) {
      d = new Deadlines(ms)
      this.deadlines.set(ms, d)
    }
    return d
  }
}
