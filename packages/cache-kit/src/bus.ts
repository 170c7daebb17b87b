import { randomUUID } from 'node:crypto'
import { CacheError } from './errors.js'
import type { CacheEvents } from './events.js'
import { compileGlob } from './glob.js'
import type { L1Tier } from './l1.js'
import type { L2Tier } from './l2.js'
import type { ResolvedOptions } from './options.js'
import type { CacheStore } from './stores/store.js'

/** What travels on the bus: the sender's id and the keys, tags or pattern it invalidated. */
interface BusMessage {
  o: string
  k?: string[]
  t?: string[]
  p?: string
}

function parse(text: string): BusMessage | undefined {
  try {
    const m = JSON.parse(text) as unknown
    if (!m || typeof m !== 'object' || typeof (m as BusMessage).o !== 'string') return undefined
    return m as BusMessage
  } catch {
    return undefined
  }
}

/** What a manager tells the others: keys it overwrote or deleted, tags or a pattern it invalidated. */
type BusContent = { k?: readonly string[]; t?: readonly string[]; p?: string }

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/**
 * Subscribes this process's L1 to the store's pub/sub channel: every other manager's delete, set,
 * tag or pattern invalidation drops the matching L1 copies here. Never rejects; failures go to `onError`.
 */
export async function startBus(
  store: CacheStore,
  channel: string,
  self: string,
  l1: L1Tier,
  hooks: {
    onStop: (stop: () => Promise<void>) => void
    onEvent: (e: CacheEvents['invalidate']) => void
    onError: (e: CacheError) => void
    /** Tags another process invalidated (the manager forgets their cached versions). */
    onTags?: (tags: readonly string[]) => void
    /** The subscriber reconnected: anything cached in process may have missed invalidations. */
    onResync?: () => void
  },
): Promise<void> {
  // Every process hears its own messages too: those are told apart before parsing (see `publish`).
  const own = `{"o":${JSON.stringify(self)},`
  const handle = (text: string) => {
    if (text.startsWith(own)) return
    const m = parse(text)
    if (!m || m.o === self) return
    if (strings(m.k)) {
      const count = l1.delete(m.k)
      hooks.onEvent({ kind: 'keys', keys: m.k, count, source: 'bus' })
    }
    if (strings(m.t)) {
      hooks.onTags?.(m.t)
      const count = l1.evictTags(m.t)
      hooks.onEvent({ kind: 'tags', tags: m.t, count, source: 'bus' })
    }
    if (typeof m.p === 'string') {
      const count = l1.evictMatching(compileGlob(m.p))
      hooks.onEvent({ kind: 'pattern', pattern: m.p, count, source: 'bus' })
    }
  }
  try {
    // After a reconnect this process may have missed invalidations: drop the whole L1.
    const resync = () => {
      l1.clear()
      hooks.onResync?.()
    }
    hooks.onStop(await store.subscribe!(channel, handle, resync))
  } catch (err) {
    hooks.onError(
      err instanceof CacheError ? err : new CacheError('store_error', 'bus subscribe failed', { cause: err }),
    )
  }
}

/**
 * One manager's end of the bus: publishes its invalidations (when `bus` is on and the store has
 * pub/sub) and, with an L1, listens to the others' (dropping L1 copies and cached tag versions).
 */
export class BusLink {
  /** Resolves once listening (at once without a bus). Never rejects. */
  readonly ready: Promise<void>
  private readonly id = randomUUID()
  private stop: (() => Promise<void>) | undefined

  constructor(
    private readonly options: ResolvedOptions,
    private readonly l2: L2Tier,
    l1: L1Tier | undefined,
    emit: <K extends 'invalidate' | 'error'>(event: K, payload: CacheEvents[K]) => void,
  ) {
    this.ready =
      options.bus && l1
        ? startBus(options.store, l2.channel, this.id, l1, {
            onStop: (stop) => {
              this.stop = stop
            },
            onEvent: (e) => emit('invalidate', e),
            onError: (error) => emit('error', { error, operation: 'subscribe' }),
            onTags: (tags) => l2.forgetTags(tags),
            onResync: () => l2.forgetAllTags(),
          })
        : Promise.resolve()
  }

  /** Tells the other processes what this one invalidated or overwrote (the sender's id first). */
  publish(message: BusContent): void {
    const text = this.encode(message)
    if (text !== undefined) this.l2.publish(text)
  }

  /** The text {@link publish} sends for `message`; `undefined` without a bus. */
  encode(message: BusContent): string | undefined {
    if (this.options.bus && this.options.store.publish) return JSON.stringify({ o: this.id, ...message })
    return undefined
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.ready
    await this.stop?.()
  }
}
