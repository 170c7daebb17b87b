import { CircuitBreaker } from './circuit-breaker.js'
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
      const value = await (timeoutMs === undefined ? fn() : withTimeout(fn(), timeoutMs, operation))
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

/**
 * `promise`, or a `CacheError` `timeout` once `ms` passed without it settling. A pause of this
 * process (a synchronous module load at start, a long GC) is not a slow store: a timer that fires
 * late by more than half its duration gives the call `ms` more (once), since its command may have
 * been sent only after the pause; any other timer fails the call only after the event loop's next
 * I/O poll, so a reply that arrived meanwhile is read first.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false
    const due = performance.now() + ms
    const expire = () => {
      if (!settled) reject(new CacheError('timeout', `store ${operation} timed out after ${ms} ms`))
    }
    let timer = setTimeout(() => {
      if (performance.now() - due > ms / 2) timer = setTimeout(() => setImmediate(expire), ms)
      else setImmediate(expire)
    }, ms)
    promise.then(
      (v) => {
        settled = true
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        settled = true
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
