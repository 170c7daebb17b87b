/** Options of the circuit breaker in front of the store. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default `5`. */
  threshold: number
  /** How long it stays open before one probe call is let through (ms). */
  cooldownMs: number
}

/**
 * Closed → open after `threshold` consecutive failures; open refuses calls for `cooldownMs`, then
 * lets exactly one probe through (half-open): success closes, failure reopens.
 */
export class CircuitBreaker {
  private failures = 0
  private openUntil = 0
  private probing = false
  state: 'closed' | 'open' | 'half-open' = 'closed'

  constructor(private readonly options: BreakerOptions) {}

  /** Whether a call may go to the store now. */
  allow(now = Date.now()): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'open' && now >= this.openUntil) {
      this.state = 'half-open'
      this.probing = false
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true
      return true
    }
    return false
  }

  success(): void {
    this.failures = 0
    this.probing = false
    this.state = 'closed'
  }

  failure(now = Date.now()): void {
    this.failures++
    if (this.state === 'half-open' || this.failures >= this.options.threshold) {
      this.state = 'open'
      this.openUntil = now + this.options.cooldownMs
      this.probing = false
    }
  }
}
