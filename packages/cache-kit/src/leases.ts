import type { RemoteGuard } from './remote.js'
import type { CacheStore } from './stores/store.js'

/** Set once a store call's caller stopped waiting for it (it failed or timed out). */
export interface GaveUp {
  value: boolean
}

/**
 * The cross-process single-flight leases (`<prefix>#l:<key>`): taken with `SET NX PX`, released
 * by token, every call behind the manager's timeout and circuit breaker.
 */
export class Leases {
  constructor(
    private readonly store: CacheStore,
    private readonly guard: RemoteGuard,
    private readonly prefix: string,
  ) {}

  /** The store key of `key`'s lease. */
  key(key: string): string {
    return `${this.prefix}#l:${key}`
  }

  /** Takes the lease; `undefined` when the store failed. */
  async acquire(key: string, token: string, ttlMs: number): Promise<boolean | undefined> {
    const gaveUp: GaveUp = { value: false }
    const got = await this.guard.call(
      'lock',
      key,
      () => {
        const reply = this.store.acquire!(this.key(key), token, ttlMs)
        this.releaseIfLate(reply, gaveUp, key, token, (x) => x)
        return reply
      },
      true,
      undefined,
    )
    gaveUp.value = got === undefined
    return got
  }

  /** Lets go of the lease if `token` still holds it. */
  release(key: string, token: string): Promise<unknown> {
    return this.guard.call('release', key, () => this.store.release!(this.key(key), token), true, 0)
  }

  /**
   * A lease request that timed out may still run when a paused store resumes; nobody would then
   * release it and every reader of the key would wait `lock.wait` for it. When its late reply says
   * the lease was taken, let it go at once (past the breaker: the store has just answered).
   */
  releaseIfLate<R>(
    reply: Promise<R>,
    gaveUp: GaveUp,
    key: string,
    token: string,
    leased: (r: R) => boolean,
  ): void {
    reply.then(
      (r) => {
        if (gaveUp.value && leased(r)) this.store.release?.(this.key(key), token).catch(() => undefined)
      },
      () => undefined,
    )
  }
}
