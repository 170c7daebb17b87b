import type Keyv from 'keyv'
import { compileGlob } from '../glob.js'
import { randomToken } from './random-token.js'
import type { CacheStore, StoreCapabilities } from './store.js'

/** Options of {@link keyvStore}. */
export interface KeyvStoreOptions {
  /**
   * Whether the Keyv backend is shared between processes (true for `@keyv/redis` and other servers).
   * Default `true`; pass `false` for an in-memory Keyv.
   */
  shared?: boolean
}

function toBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v
  // Keyv serialisers may hand a Buffer back in its JSON form ({ type: 'Buffer', data: [...] }).
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
    const data = (v as { data?: unknown }).data
    if (Array.isArray(data)) return Buffer.from(data as number[])
  }
  return undefined
}

/**
 * Store over any Keyv instance (tested with `@keyv/redis` and the in-memory Keyv). Keyv has no
 * atomic create-if-missing, so two writers may both create a tag version: the one whose token lost
 * reads as a miss (safe), and the per-tag entry counter is approximate under concurrency.
 * `invalidatePattern` needs a Keyv adapter with an iterator and walks every key of the namespace.
 * Set `throwOnErrors: true` on the Keyv so the manager sees (counts and emits) store failures:
 * Keyv swallows them otherwise.
 */
export function keyvStore(keyv: Keyv, options: KeyvStoreOptions = {}): CacheStore {
  const capabilities: StoreCapabilities = {
    shared: options.shared ?? true,
    readWithTags: false,
    leaseOnMiss: false,
    atomicTags: false,
    scan: typeof keyv.iterator === 'function',
    locks: false,
    pubsub: false,
  }
  const store: CacheStore = {
    name: 'keyv',
    capabilities,
    async get(key) {
      return toBytes(await keyv.get(key))
    },
    async set(key, bytes, ttlMs, counters) {
      const value = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)
      const ttl = Math.max(1, Math.ceil(ttlMs))
      await keyv.set(key, value, ttl)
      if (counters.length) {
        const current = await keyv.get<number>([...counters])
        // As long as the entry: the counters of tags nobody invalidates do not pile up (a later
        // entry with a shorter ttl shortens it; the counter is approximate already).
        await Promise.all(counters.map((c, i) => keyv.set(c, Number(current[i] ?? 0) + 1, ttl)))
      }
    },
    async delete(keys) {
      if (keys.length === 0) return 0
      const present = await keyv.has([...keys])
      await keyv.delete([...keys])
      return present.filter(Boolean).length
    },
    async tagVersions(tagKeys) {
      if (tagKeys.length === 0) return []
      const v = await keyv.get<string>([...tagKeys])
      return v.map((x) => (typeof x === 'string' ? x : ''))
    },
    async stampTags(tagKeys) {
      if (tagKeys.length === 0) return []
      const current = await keyv.get<string>([...tagKeys])
      // Not atomic: two writers may both create a version; the one whose token lost reads as a miss.
      return Promise.all(
        tagKeys.map(async (k, i) => {
          const v = current[i]
          if (typeof v === 'string') return v
          const token = randomToken()
          await keyv.set(k, token)
          return token
        }),
      )
    },
    async invalidateTags(tagKeys, counterKeys) {
      const counts = counterKeys.length ? await keyv.get<number>([...counterKeys]) : []
      await keyv.delete([...tagKeys, ...counterKeys])
      return counts.reduce<number>((sum, c) => sum + Number(c ?? 0), 0)
    },
  }
  if (capabilities.scan) {
    store.keys = async function* (glob) {
      const re = compileGlob(glob)
      let batch: string[] = []
      for await (const [key] of (keyv.iterator as () => AsyncGenerator<unknown[]>)()) {
        if (typeof key === 'string' && re.test(key)) batch.push(key)
        if (batch.length >= 500) {
          yield batch
          batch = []
        }
      }
      if (batch.length) yield batch
    }
  }
  return store
}
