import type { CacheError } from './errors.js'

/** Which tier answered or failed: the in-process L1 or the store (L2). */
export type CacheTier = 'l1' | 'l2'

/** Payloads of the events a `CacheManager` emits. */
export interface CacheEvents {
  /** A read found a usable entry (`stale` within its grace period). */
  hit: { key: string; tier: CacheTier; stale: boolean }
  /** A read found nothing usable. */
  miss: { key: string }
  /** A store call failed, timed out or was refused by the open circuit (counted in `stats().errors`). */
  error: { error: CacheError; operation: string; key?: string }
  /** Entries were made invalid, here or (with a bus) by another process. */
  invalidate: {
    kind: 'keys' | 'tags' | 'pattern'
    keys?: readonly string[]
    tags?: readonly string[]
    pattern?: string
    count: number
    source: 'local' | 'bus'
  }
}

/** Name of an event emitted by `CacheManager`. */
export type CacheEventName = keyof CacheEvents

type Listeners = { [K in CacheEventName]: Array<(event: CacheEvents[K]) => void> }

/**
 * The listeners of one cache and the way to call them. Unlike `node:events`, an `'error'` with no
 * listener is not thrown: errors are fail-open by design and always counted in stats.
 */
export class EventHub {
  private readonly listeners: Listeners = { hit: [], miss: [], error: [], invalidate: [] }

  on<K extends CacheEventName>(event: K, listener: (event: CacheEvents[K]) => void): void {
    ;(this.listeners[event] as Array<(event: CacheEvents[K]) => void>).push(listener)
  }

  off<K extends CacheEventName>(event: K, listener: (event: CacheEvents[K]) => void): void {
    const list = this.listeners[event] as Array<(event: CacheEvents[K]) => void>
    const i = list.indexOf(listener)
    if (i >= 0) list.splice(i, 1)
  }

  emit<K extends CacheEventName>(event: K, payload: CacheEvents[K]): void {
    const list = this.listeners[event] as Array<(event: CacheEvents[K]) => void>
    for (const l of list) {
      try {
        l(payload)
      } catch {
        // A throwing listener must not turn a cache read into a failure.
      }
    }
  }

  /** Whether anyone listens (a hit builds no payload for nobody). */
  wants(event: CacheEventName): boolean {
    return this.listeners[event].length > 0
  }
}

/** The public face of a cache's events: `on` and `off`. */
export class CacheEmitter {
  protected readonly events = new EventHub()

  /** Adds a listener; returns a function that removes it. */
  on<K extends CacheEventName>(event: K, listener: (event: CacheEvents[K]) => void): () => void {
    this.events.on(event, listener)
    return () => this.events.off(event, listener)
  }

  /** Removes a listener added with `on`. */
  off<K extends CacheEventName>(event: K, listener: (event: CacheEvents[K]) => void): void {
    this.events.off(event, listener)
  }
}
