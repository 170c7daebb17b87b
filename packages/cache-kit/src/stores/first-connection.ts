import type { Cluster, Redis } from 'ioredis'
import { CacheError } from '../errors.js'

type State = 'idle' | 'waiting' | 'connected' | 'gave-up'

/**
 * The bounded wait for a client's first connection: a fresh `new Redis(url)` is still connecting
 * when the app starts using the cache, and refusing those first calls would drop the first writes
 * and run every loader until the client is up. Only the first connection is waited for: once the
 * client has been ready, a reconnect fails fast (the store refuses to send), as before.
 * The wait starts with the first call (a lazy client is told to connect then) and lasts `waitMs`.
 */
export class FirstConnection {
  private state: State
  private pending: Promise<CacheError | undefined> | undefined
  private failure: CacheError | undefined

  constructor(
    private readonly client: Redis | Cluster,
    private readonly waitMs: number,
  ) {
    this.state = client.status === 'ready' || waitMs <= 0 ? 'connected' : 'idle'
  }

  /**
   * `undefined` when nothing is to be waited for (connected once, or no wait configured); else a
   * promise resolving once the client is ready (`undefined`) or the wait is over (why not).
   */
  wait(): Promise<CacheError | undefined> | undefined {
    if (this.state === 'connected') return undefined
    if (this.client.status === 'ready') {
      this.state = 'connected'
      return undefined
    }
    if (this.state === 'waiting') return this.pending
    if (this.state === 'gave-up') {
      this.pending ??= Promise.resolve(this.failure)
      return this.pending
    }
    return this.start()
  }

  private start(): Promise<CacheError | undefined> {
    const client = this.client
    if (client.status === 'end') return this.giveUp('the redis client was closed before it connected')
    this.state = 'waiting'
    let lastError: string | undefined
    this.pending = new Promise((resolve) => {
      const done = (failure: string | undefined) => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('end', onEnd)
        client.off('error', onError)
        if (failure === undefined) {
          this.state = 'connected'
          this.pending = undefined
          resolve(undefined)
        } else resolve(this.fail(failure))
      }
      const onReady = () => done(undefined)
      const onEnd = () => done('the redis client was closed before it connected')
      const onError = (err: Error) => {
        lastError = err.message
      }
      const timer = setTimeout(
        () =>
          done(
            `redis did not connect within ${this.waitMs} ms` +
              (lastError ? ` (last error: ${lastError})` : ` (client is ${client.status})`),
          ),
        this.waitMs,
      )
      timer.unref?.()
      client.on('ready', onReady)
      client.on('end', onEnd)
      client.on('error', onError)
    })
    // A lazy client connects on its first command, which the store never sends before `ready`.
    if (client.status === 'wait') client.connect().catch(() => undefined)
    return this.pending
  }

  private fail(message: string): CacheError {
    this.state = 'gave-up'
    this.failure = new CacheError('store_unavailable', message)
    this.pending = undefined
    return this.failure
  }

  private giveUp(message: string): Promise<CacheError | undefined> {
    this.pending = Promise.resolve(this.fail(message))
    return this.pending
  }
}
